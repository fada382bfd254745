// Many cameras in one server. The cameras: the fixture clip (720p 15 fps H.264) served as it is
// over RTSP by one GStreamer process, one mount per camera (startRtspCameras: no camera encodes,
// so 16 of them cost the machine little and the bench measures the server). The server in its
// own process, `cameras` map, one pipeline Worker and one decoder child per camera; viewers, one
// MJPEG viewer per camera, in another process (bench/clients.ts).
//  1. For each camera count (1, 4, 8, 16): the cameras unwatched (no viewer, no detection: the
//     JPEGs they encode must stay at 0), then watched: each viewer's fps, the CPU of the server
//     and of its decoder children (/proc stat over the window), the server's RSS (median and peak
//     over the window) and its decoder children's RSS apart.
//  2. Where a camera's memory goes: the server's RSS with the same counts of cameras that never
//     answer (no frame ever); what a Worker costs by itself; and `--sharing-cameras` (4) cameras
//     read by @cctv/capture as the pipeline Worker reads them, one Worker each against all in one
//     Worker (bench/worker-cost.ts), for the choice of one pipeline Worker per camera.
//  3. Detection shared: YOLOX-Nano on one camera alone, then `--detection-cameras` (4) cameras
//     without detection and with it, one viewer each: detections per second per camera, their sum,
//     the viewers' fps with and without (measured a minute apart, so the machine is alike).
//  4. One camera failing: `--failure-cameras` (4) watched; the last one is served by a camera
//     process of its own, killed between two windows: every camera's fps before and after.
//   bun bench/cameras.ts [--cameras 1,4,8,16] [--seconds 30] [--settle 10] [--sharing-cameras 4] [--detection-cameras 4] [--failure-cameras 4] [--model PATH] [--json FILE]
// --sharing-cameras 0, --detection-cameras 0 or --failure-cameras 0 leaves that part out.
import { readFileSync } from 'node:fs';
import { childProcesses, fixturePath, freeLoopbackPort, rssMb, startRtspCameras, startServer, type RunningServer } from '@cctv/testbed';
import { cpuMeter, decoderPids, flags, fmt, machine, machineCpuMeter, percentile, rssSampler, runClients, slope, withCleanup, writeResults } from './lib.ts';
import type { WorkerCost } from './worker-cost.ts';

const options = flags({ cameras: '1,4,8,16', seconds: '30', settle: '10', 'sharing-cameras': '4', 'detection-cameras': '4', 'failure-cameras': '4', model: '' });
const counts = options.cameras.split(',').map(Number);
const seconds = Number(options.seconds);
/** Seconds a server runs in a new state before anything is read (start-up, first GC cycles). */
const settle = Number(options.settle);
const sharingCameras = Number(options['sharing-cameras']);
const detectionCameras = Number(options['detection-cameras']);
const failureCameras = Number(options['failure-cameras']);
const FPS = 15;

/** What one window measured: per camera in config order, and the server's process as a whole. */
export interface CamerasWindow {
  seconds: number;
  /** Each viewer's fps (its camera's MJPEG), camera order; empty when unwatched. */
  viewerFps: number[];
  /** Frames each camera took in (counted by the server's main thread) per second. */
  captureFps: number[];
  /** JPEGs each camera encoded in the window. */
  framesEncoded: number[];
  /** Detections per second, per camera (0 with detection off). */
  detectionFps: number[];
  /** % of one core: the server process (all its threads), its decoder children together, the viewer process, the RTSP camera processes. */
  serverCpu: number;
  decodersCpu: number;
  viewersCpu: number;
  camerasCpu: number;
  /** % of one core the whole machine was busy (/proc/stat): less the above, what other work used. */
  machineCpu: number;
  /** Server RSS over the window (sampled every 0.5 s), MB. */
  rssMedianMb: number;
  rssPeakMb: number;
  /**
   * The decoder children at the end of the window, summed, MB: RSS, and PSS (each shared page
   * divided among the processes sharing it: their libraries count once in all), and how many.
   */
  decodersRssMb: number;
  decodersPssMb: number;
  decoders: number;
  /** /proc/loadavg (1, 5, 15 min) when the window ended. */
  loadavg: string;
}

export interface CamerasStep {
  cameras: number;
  unwatched: CamerasWindow;
  watched: CamerasWindow;
}

export interface CamerasResults {
  seconds: number;
  settle: number;
  camera: string;
  decoder: string;
  steps: CamerasStep[];
  /** Least-squares MB per camera added over the steps (server RSS median, watched, unwatched, cameras never answering); a decoder child's RSS and PSS (median). */
  rssPerCameraMb: { watched: number; unwatched: number; notAnswering: number; decoderRssEach: number; decoderPssEach: number };
  /** The server's RSS with cameras that never answer: Workers and capture with no frame. */
  notAnswering: Array<{ cameras: number; rssMb: number }>;
  /** Idle Workers (empty, pipeline), then the same cameras' capture in one Worker each and all in one. */
  workerCost: WorkerCost[];
  /** Error lines the servers logged (first 20, each once). */
  serverErrors: string[];
  detection?: {
    model: string;
    alone: CamerasWindow;
    shared: CamerasWindow;
    /** The same cameras watched with detection off, just before. */
    withoutDetection: CamerasWindow;
    /** Largest distance of a camera's detection rate from the cameras' mean, %. */
    spreadPct: number;
    /** Sum of the shared cameras' detection rates / the rate alone, %. */
    sumOfAlonePct: number;
    detectMs: { alone: number; shared: number };
    note?: string;
  };
  failure?: {
    before: CamerasWindow;
    after: CamerasWindow;
    /** The failed camera's state and reason afterwards, as the server reports it. */
    failedStatus: string;
    /** Largest change of another camera's viewer fps, after against before, %: either way, and the largest fall (0 when none fell). */
    othersMaxChangePct: number;
    othersMaxDropPct: number;
  };
  machineBefore: ReturnType<typeof machine>;
  machineAfter: ReturnType<typeof machine>;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `cam${i + 1}`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 50);

/** The server with one camera per URL (ids cam1…camN), 15 fps, and whatever else `config` sets for all. */
function startCamerasServer(urls: readonly string[], config: Record<string, unknown> = {}): Promise<RunningServer> {
  const cameras = Object.fromEntries(urls.map((url, i) => [`cam${i + 1}`, { camera_url: url }]));
  return startServer({ cameras, target_fps: FPS, ...config });
}

/**
 * Polls GET /api/cameras (a bench helper: the server itself never polls) until every camera
 * streams (and detects, when asked). Not at what rate: how many cameras the machine can carry at
 * full rate is what the bench measures.
 */
async function waitForCameras(server: RunningServer, detecting = false, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: any[] = [];
  while (Date.now() < deadline) {
    last = await server.get<any[]>('/api/cameras').catch(() => []);
    if (last.length && last.every((c) => c.status === 'Streaming' && c.fps > 0 && (!detecting || (c.detection.state === 'running' && c.detection.fps > 0)))) return;
    if (detecting && last.some((c) => c.detection.state === 'failed')) break;
    await Bun.sleep(500);
  }
  throw new Error(`cameras not all streaming${detecting ? ' and detecting' : ''} within ${timeoutMs / 1000} s: ${JSON.stringify(last)}\n${server.output().slice(-2000)}`);
}

const statuses = (server: RunningServer, cameras: readonly string[]) => Promise.all(cameras.map((id) => server.get(`/api/cameras/${id}/status`)));

/** One window of `seconds` on a running server: with one viewer per URL in `viewers`, or none. */
async function measure(server: RunningServer, cameras: readonly string[], viewers: readonly string[] = []): Promise<CamerasWindow> {
  const before = await statuses(server, cameras);
  const decoders = await decoderPids(server.pid);
  const cameraProcesses = (await childProcesses(process.pid)).filter((p) => p.command.includes('rtsp-clips.py')).map((p) => p.pid);
  const machineCpu = machineCpuMeter();
  const serverCpu = cpuMeter(() => [server.pid]);
  const decodersCpu = cpuMeter(() => decoders);
  const camerasCpu = cpuMeter(() => cameraProcesses);
  const rss = rssSampler(server.pid, 500);
  const started = performance.now();
  const clients = viewers.length ? await runClients({ url: viewers.join(','), count: viewers.length, seconds, procs: 1 }) : undefined;
  if (!clients) await Bun.sleep(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = serverCpu.stop();
  const decCpu = decodersCpu.stop();
  const camCpu = camerasCpu.stop();
  const allCpu = machineCpu.stop();
  const samples = rss.stop().map(([, mb]) => mb);
  // The children alive now: a failed camera's decoder may have ended, or a new one started.
  const decodersNow = await decoderPids(server.pid);
  const decodersRss = decodersNow.map(rssMbIfAlive).filter(Number.isFinite);
  const decodersPss = decodersNow.map(pssMbIfAlive).filter(Number.isFinite);
  const after = await statuses(server, cameras);
  const perSecond = (pick: (status: any) => number) => after.map((a, i) => (pick(a) - pick(before[i])) / elapsed);
  return {
    seconds: elapsed,
    viewerFps: clients?.normal.map((c) => c.fps) ?? [],
    captureFps: perSecond((s) => s.frame_count),
    framesEncoded: after.map((a, i) => a.encoder.frames_encoded - before[i].encoder.frames_encoded),
    detectionFps: perSecond((s) => s.detection.frames_detected),
    serverCpu: cpu,
    decodersCpu: decCpu,
    viewersCpu: clients ? (clients.cpuSeconds / elapsed) * 100 : 0,
    camerasCpu: camCpu,
    machineCpu: allCpu,
    rssMedianMb: median(samples),
    rssPeakMb: Math.max(...samples),
    decodersRssMb: decodersRss.reduce((a, b) => a + b, 0),
    decodersPssMb: decodersPss.reduce((a, b) => a + b, 0),
    decoders: decodersRss.length,
    loadavg: loadavg(),
  };
}

function rssMbIfAlive(pid: number): number {
  try {
    return rssMb(pid);
  } catch {
    return NaN;
  }
}

/** Proportional set size: the process's own pages plus its share of those it shares (libraries). */
function pssMbIfAlive(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

const serverErrors = new Set<string>();
/** Keeps the error lines a server logged (timestamps cut, so each kind counts once). */
function keepErrors(server: RunningServer): void {
  for (const line of server.output().split('\n')) if (/^\S+ error /.test(line) && serverErrors.size < 20) serverErrors.add(line.replace(/^\S+ /, ''));
}

const videoUrls = (server: RunningServer, cameras: readonly string[]) => cameras.map((id) => `${server.url}/api/cameras/${id}/stream/video`);

/** bench/worker-cost.ts in a process of its own. */
async function workerCost(kind: WorkerCost['kind'], workers: number, urls: readonly string[] = []): Promise<WorkerCost> {
  const args = ['--kind', kind, '--workers', String(workers), ...(urls.length ? ['--urls', urls.join(','), '--settle', String(settle), '--seconds', String(Math.min(seconds, 15))] : [])];
  const proc = Bun.spawn([process.execPath, new URL('./worker-cost.ts', import.meta.url).pathname, ...args], { stdout: 'pipe', stderr: 'inherit' });
  const text = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`bench/worker-cost.ts --kind ${kind} failed: ${text.slice(-500)}`);
  return JSON.parse(text) as WorkerCost;
}

const video = fixturePath('video/people-720p.mp4');
if (!video) throw new Error('bench/cameras.ts needs the fixture clip video/people-720p.mp4 (the shared fixtures folder: set SHARED_FIXTURES)');
const machineBefore = machine();

const results = await withCleanup(async (defer): Promise<CamerasResults> => {
  const mounts = Math.max(...counts, sharingCameras, detectionCameras, failureCameras - 1, 1);
  const clips = await startRtspCameras({ count: mounts, video });
  defer(() => clips.stop());
  let decoder = '';

  // 1. Unwatched, then watched, for each camera count.
  const steps: CamerasStep[] = [];
  for (const n of counts) {
    const cameras = ids(n);
    const server = await startCamerasServer(clips.urls.slice(0, n));
    try {
      await waitForCameras(server);
      decoder ||= String((await server.get(`/api/cameras/cam1/status`)).camera.decoder);
      await Bun.sleep(settle * 1000);
      const unwatched = await measure(server, cameras);
      const watched = await measure(server, cameras, videoUrls(server, cameras));
      steps.push({ cameras: n, unwatched, watched });
      console.error(`cameras: ${n} done (viewer fps min ${fmt(Math.min(...watched.viewerFps), 1)}, load ${watched.loadavg})`);
    } finally {
      keepErrors(server);
      await server.stop();
    }
  }

  // 2. Cameras that never answer: what a camera costs the server without frames.
  const closedPort = await freeLoopbackPort();
  const notAnswering: CamerasResults['notAnswering'] = [];
  for (const n of counts) {
    const server = await startCamerasServer(ids(n).map((id) => `rtsp://127.0.0.1:${closedPort}/${id}`));
    try {
      await Bun.sleep(settle * 1000);
      const rss = rssSampler(server.pid, 500);
      await Bun.sleep(Math.min(settle, 5) * 1000);
      notAnswering.push({ cameras: n, rssMb: median(rss.stop().map(([, mb]) => mb)) });
    } finally {
      keepErrors(server);
      await server.stop();
    }
  }
  const workers = Math.max(...counts);
  const workerCosts = [await workerCost('empty', workers), await workerCost('pipeline', workers)];
  if (sharingCameras > 0) {
    const urls = clips.urls.slice(0, sharingCameras);
    workerCosts.push(await workerCost('capture', sharingCameras, urls), await workerCost('capture', 1, urls));
  }
  console.error('cameras: memory parts done');

  // 3. Detection: one camera alone, then several sharing the model.
  let detection: CamerasResults['detection'];
  const model = options.model || fixturePath('models/yolox_nano.onnx');
  if (detectionCameras > 0 && model) {
    const withDetection = { detection_enabled: true, model_path: model };
    const run = async (n: number, detecting: boolean) => {
      const cameras = ids(n);
      const server = await startCamerasServer(clips.urls.slice(0, n), detecting ? withDetection : {});
      try {
        await waitForCameras(server, detecting);
        await Bun.sleep(settle * 1000);
        const window = await measure(server, cameras, videoUrls(server, cameras));
        const detectMs = median((await statuses(server, cameras)).map((s) => s.detection.detect_ms));
        return { window, detectMs };
      } finally {
        keepErrors(server);
        await server.stop();
      }
    };
    const alone = await run(1, true);
    const without = await run(detectionCameras, false);
    const shared = await run(detectionCameras, true);
    const rates = shared.window.detectionFps;
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    detection = {
      model,
      alone: alone.window,
      shared: shared.window,
      withoutDetection: without.window,
      spreadPct: Math.max(...rates.map((r) => Math.abs(r - mean) / mean)) * 100,
      sumOfAlonePct: ((mean * rates.length) / alone.window.detectionFps[0]!) * 100,
      detectMs: { alone: alone.detectMs, shared: shared.detectMs },
    };
    console.error('cameras: detection done');
  } else if (detectionCameras > 0) {
    console.error('cameras: no model (models/yolox_nano.onnx in the fixtures, or --model): detection share left out');
  }

  // 4. One camera failing while the others stream: the last camera has a camera process of its own.
  let failure: CamerasResults['failure'];
  if (failureCameras > 1) {
    const own = await startRtspCameras({ count: 1, video });
    defer(() => own.stop());
    const cameras = ids(failureCameras);
    const server = await startCamerasServer([...clips.urls.slice(0, failureCameras - 1), own.urls[0]!]);
    try {
      await waitForCameras(server);
      await Bun.sleep(settle * 1000);
      const before = await measure(server, cameras, videoUrls(server, cameras));
      await own.stop();
      const after = await measure(server, cameras, videoUrls(server, cameras));
      const failed = (await statuses(server, [cameras.at(-1)!]))[0];
      const changes = before.viewerFps.slice(0, -1).map((fps, i) => (after.viewerFps[i]! - fps) / fps);
      failure = {
        before,
        after,
        failedStatus: `${failed.status}${failed.camera.reason ? `: ${failed.camera.reason}` : ''}`,
        othersMaxChangePct: Math.max(...changes.map(Math.abs)) * 100,
        othersMaxDropPct: Math.max(0, ...changes.map((c) => -c)) * 100,
      };
    } finally {
      keepErrors(server);
      await server.stop();
    }
    console.error('cameras: failure done');
  }

  const points = (pick: (step: CamerasStep) => number) => steps.map((s) => [s.cameras, pick(s)] as const);
  return {
    seconds,
    settle,
    camera: `the fixture clip people-720p.mp4 (1280×720, 15 fps H.264) served as it is by one GStreamer RTSP process (tools/testbed rtsp-clips.py), one mount per camera`,
    decoder,
    steps,
    rssPerCameraMb: {
      watched: slope(points((s) => s.watched.rssMedianMb)),
      unwatched: slope(points((s) => s.unwatched.rssMedianMb)),
      notAnswering: slope(notAnswering.map((r) => [r.cameras, r.rssMb] as const)),
      decoderRssEach: median(steps.map((s) => s.watched.decodersRssMb / Math.max(1, s.watched.decoders))),
      decoderPssEach: median(steps.map((s) => s.watched.decodersPssMb / Math.max(1, s.watched.decoders))),
    },
    notAnswering,
    workerCost: workerCosts,
    serverErrors: [...serverErrors],
    ...(detection ? { detection } : {}),
    ...(failure ? { failure } : {}),
    machineBefore,
    machineAfter: machine(),
  };
});

const r = results;
const minMed = (values: readonly number[]) => (values.length ? `${fmt(Math.min(...values), 1)} / ${fmt(median(values), 1)}` : '–');
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const cpu = (w: CamerasWindow) => w.serverCpu + w.decodersCpu;
/** CPU time the server and its decoders spent per frame taken in, ms: what a camera costs whatever rate the machine allowed. */
const cpuMsPerFrame = (w: CamerasWindow) => (cpu(w) * 10) / sum(w.captureFps);
/** What the machine did besides the server, its decoders, the viewers and the cameras: other people's work (and this bench's own loop). */
const otherCpu = (w: CamerasWindow) => w.machineCpu - cpu(w) - w.viewersCpu - w.camerasCpu;
const fpsRows = r.steps.flatMap((s) =>
  (['unwatched', 'watched'] as const).map((state) => {
    const w = s[state];
    return `| ${s.cameras} | ${state} | ${minMed(w.viewerFps)} | ${minMed(w.captureFps)} | ${sum(w.framesEncoded)} | ${fmt(cpu(w))} (${fmt(cpu(w) / s.cameras, 1)}) | ${fmt(cpuMsPerFrame(w), 1)} | ${fmt(w.serverCpu)} / ${fmt(w.decodersCpu)} | ${state === 'watched' ? fmt(w.viewersCpu) : '–'} / ${fmt(w.camerasCpu)} | ${fmt(w.machineCpu)} / ${fmt(otherCpu(w))} | ${w.loadavg} |`;
  }),
);
const memoryRows = r.steps.map(
  (s) =>
    `| ${s.cameras} | ${fmt(r.notAnswering.find((a) => a.cameras === s.cameras)?.rssMb)} | ${fmt(s.unwatched.rssMedianMb)} | ${fmt(s.watched.rssMedianMb)} / ${fmt(s.watched.rssPeakMb)} | ${fmt(s.watched.rssMedianMb / s.cameras, 1)} | ${fmt(s.watched.decodersRssMb)} / ${fmt(s.watched.decodersPssMb)} (${s.watched.decoders}) |`,
);
const idle = (kind: WorkerCost['kind']) => r.workerCost.find((w) => w.kind === kind);
const sharing = r.workerCost.filter((w) => w.kind === 'capture');
const lines = [
  `### Many cameras (${fmt(r.seconds)} s per window)`,
  '',
  `${r.camera}; the server reads each with ${r.decoder}. One MJPEG viewer per camera when watched, all in one other process. Each server streamed ${r.settle} s before its first window. CPU in % of one core over the window (the machine has ${r.machineBefore.nproc}: ${r.machineBefore.nproc * 100} % in all), from /proc: the server process (all its threads), its decoder children, the viewer process, the RTSP camera process; the machine busy as a whole (/proc/stat), and what of that was other work (the machine is shared). Load average (1/5/15 min) before ${r.machineBefore.loadavg}, after ${r.machineAfter.loadavg}.`,
  '',
  '| cameras | state | viewer fps min / median | capture fps min / median | JPEGs encoded | CPU % server + decoders (per camera) | CPU ms per frame | server / decoders CPU % | viewer process / camera process CPU % | machine busy / of it other work % | load average after |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...fpsRows,
  '',
  '| cameras | server RSS (MB), cameras never answering | streaming, unwatched | watched, median / peak | watched, per camera | decoder children RSS / PSS (MB, how many) |',
  '|---|---|---|---|---|---|',
  ...memoryRows,
  '',
  `Server RSS per camera added (least squares over ${r.steps.map((s) => s.cameras).join(', ')} cameras, median of each window): **watched ${fmt(r.rssPerCameraMb.watched, 1)} MB**, unwatched ${fmt(r.rssPerCameraMb.unwatched, 1)} MB, cameras that never answer ${fmt(r.rssPerCameraMb.notAnswering, 1)} MB. Each camera's decoder child, a process of its own, adds ${fmt(r.rssPerCameraMb.decoderRssEach, 1)} MB RSS (${fmt(r.rssPerCameraMb.decoderPssEach, 1)} MB PSS: its libraries are shared with the other decoders).`,
  '',
  `A Worker by itself (bench/worker-cost.ts, ${idle('empty')?.workers} smol Workers in a fresh Bun process): empty ${fmt(idle('empty')?.perWorkerMb, 1)} MB each; the server's pipeline Worker with its modules loaded, not started, ${fmt(idle('pipeline')?.perWorkerMb, 1)} MB each.`,
  ...(sharing.length
    ? [
        '',
        `The same ${sharing[0]!.cameras} cameras read by @cctv/capture as the pipeline Worker reads them (newest frame kept, nothing encoded; decoder children not counted): ${sharing.map((w) => `${w.workers === 1 ? 'all in one Worker' : `one Worker each (${w.workers})`} ${fmt(w.perCameraMb, 1)} MB per camera (${fmt(w.afterMb - w.beforeMb)} MB in all, ${fmt(w.fps, 1)} fps)`).join('; ')}.${sharing.some((w) => w.workerErrors?.length || w.stopErrors?.length) ? ` Worker errors: ${[...new Set(sharing.flatMap((w) => [...(w.workerErrors ?? []), ...(w.stopErrors ?? []).map((e) => `${e} (while stopping)`)]))].join('; ')}.` : ''}`,
      ]
    : []),
  ...(r.serverErrors.length ? ['', `Errors the servers logged: ${r.serverErrors.map((e) => `\`${e}\``).join('; ')}.`] : []),
];
if (r.detection) {
  const d = r.detection;
  const n = d.shared.detectionFps.length;
  lines.push(
    '',
    `#### Detection shared by ${n} cameras (${d.model.split('/').at(-1)}, one viewer per camera)`,
    '',
    '| | detections/s per camera | sum | detect ms (median) | viewer fps min / median | CPU % server + decoders | machine busy / of it other work % | server RSS median (MB) |',
    '|---|---|---|---|---|---|---|---|',
    `| one camera alone | ${fmt(d.alone.detectionFps[0], 1)} | ${fmt(d.alone.detectionFps[0], 1)} | ${fmt(d.detectMs.alone, 1)} | ${minMed(d.alone.viewerFps)} | ${fmt(cpu(d.alone))} | ${fmt(d.alone.machineCpu)} / ${fmt(otherCpu(d.alone))} | ${fmt(d.alone.rssMedianMb)} |`,
    `| ${n} cameras sharing the model | ${d.shared.detectionFps.map((f) => fmt(f, 1)).join(' / ')} | ${fmt(sum(d.shared.detectionFps), 1)} | ${fmt(d.detectMs.shared, 1)} | ${minMed(d.shared.viewerFps)} | ${fmt(cpu(d.shared))} | ${fmt(d.shared.machineCpu)} / ${fmt(otherCpu(d.shared))} | ${fmt(d.shared.rssMedianMb)} |`,
    `| ${n} cameras, detection off (just before) | – | – | – | ${minMed(d.withoutDetection.viewerFps)} | ${fmt(cpu(d.withoutDetection))} | ${fmt(d.withoutDetection.machineCpu)} / ${fmt(otherCpu(d.withoutDetection))} | ${fmt(d.withoutDetection.rssMedianMb)} |`,
    '',
    `Each camera's rate within ${fmt(d.spreadPct, 1)} % of their mean; their sum is ${fmt(d.sumOfAlonePct)} % of the rate alone.`,
  );
}
if (r.failure) {
  const f = r.failure;
  lines.push(
    '',
    `#### One camera failing (${f.before.viewerFps.length} cameras watched; the last one's camera process killed between the windows)`,
    '',
    '| camera | viewer fps before | after | capture fps before | after |',
    '|---|---|---|---|---|',
    ...f.before.viewerFps.map((fps, i) => `| cam${i + 1}${i === f.before.viewerFps.length - 1 ? ' (killed)' : ''} | ${fmt(fps, 1)} | ${fmt(f.after.viewerFps[i], 1)} | ${fmt(f.before.captureFps[i], 1)} | ${fmt(f.after.captureFps[i], 1)} |`),
    '',
    `The others' fps changed by at most ${fmt(f.othersMaxChangePct, 1)} % (fell by at most ${fmt(f.othersMaxDropPct, 1)} %). The killed camera afterwards: ${f.failedStatus}. CPU % server + decoders ${fmt(cpu(f.before))} before, ${fmt(cpu(f.after))} after (decoder children alive through the window); machine busy ${fmt(f.before.machineCpu)} % (other work ${fmt(otherCpu(f.before))} %) before, ${fmt(f.after.machineCpu)} % (${fmt(otherCpu(f.after))} %) after.`,
  );
}
console.log(lines.join('\n'));
writeResults(options.json, results);
