// The server's resident memory: just started (its camera unreachable), streaming one camera, with
// the detection model loaded (--detection), and through N minutes of 100 viewers, with the
// least-squares slope of RSS over that time (MB/min) as the leak check.
//   bun bench/memory.ts [--minutes 10] [--clients 100] [--detection] [--model PATH] [--scene video|pattern] [--json FILE]
import { fixturePath, freeLoopbackPort, startServer } from '@cctv/testbed';
import { detectionNote as whyNoDetection, flags, fmt, rssSampler, runClients, slope, startBenchCamera, startBenchServer, withCleanup, writeResults } from './lib.ts';

const options = flags({ minutes: '10', clients: '100', detection: false, model: '', scene: 'video', settle: '10' });
const minutes = Number(options.minutes);
const clients = Number(options.clients);
/** Seconds to let a server settle before its RSS is read. */
const settle = Number(options.settle);

export interface MemoryResults {
  minutes: number;
  clients: number;
  camera: string;
  /** Started, camera unreachable (no frames). */
  startedMb: number;
  /** Streaming one camera, no viewer. */
  oneCameraMb: number;
  /** Streaming one camera with detection_enabled and the model (when asked for). */
  withModelMb?: number;
  detectionNote?: string;
  soak: {
    startMb: number;
    endMb: number;
    maxMb: number;
    /** Least-squares slope over the whole soak, and over its second half (after warm-up). */
    slopeMbPerMin: number;
    secondHalfSlopeMbPerMin: number;
    fpsMedian: number;
    samples: Array<[number, number]>;
  };
}

const rssAfter = async (pid: number) => {
  await Bun.sleep(settle * 1000);
  return rssSampler(pid).stop().at(-1)![1];
};

const results = await withCleanup(async (defer): Promise<MemoryResults> => {
  // 1. Just started: the camera URL points at a port nothing listens on.
  const idle = await startServer({ camera_url: `rtsp://127.0.0.1:${await freeLoopbackPort()}/nothing`, target_fps: 15 });
  const startedMb = await rssAfter(idle.pid);
  await idle.stop();

  const { camera, description } = await startBenchCamera({ scene: options.scene });
  defer(() => camera.stop());
  // 2. One camera, no viewer.
  let server = await startBenchServer(camera.url);
  defer(() => server.stop()); // whichever server is current then
  const oneCameraMb = await rssAfter(server.pid);
  // 3. With the model loaded: a server of its own, which the soak then runs on.
  let withModelMb: number | undefined;
  let detectionNote: string | undefined;
  if (options.detection) {
    await server.stop();
    const model = options.model || fixturePath('models/yolox_nano.onnx') || 'models/yolox_nano.onnx';
    server = await startBenchServer(camera.url, { detection_enabled: true, model_path: model });
    detectionNote = await whyNoDetection(server);
    withModelMb = await rssAfter(server.pid);
  }

  // 4. The soak: viewers reconnect every minute, as real ones come and go.
  const rss = rssSampler(server.pid, minutes >= 2 ? 5000 : 1000);
  const run = await runClients({ url: `${server.url}/api/stream/video`, count: clients, seconds: minutes * 60, sliceSeconds: 60 });
  const samples = rss.stop();
  const perMinute = samples.map(([s, mb]) => [s / 60, mb] as const);
  const rates = run.normal.map((c) => c.fps).sort((a, b) => a - b);
  return {
    minutes,
    clients,
    camera: description,
    startedMb,
    oneCameraMb,
    ...(withModelMb !== undefined ? { withModelMb } : {}),
    ...(detectionNote ? { detectionNote } : {}),
    soak: {
      startMb: samples[0]![1],
      endMb: samples.at(-1)![1],
      maxMb: Math.max(...samples.map(([, mb]) => mb)),
      slopeMbPerMin: slope(perMinute),
      secondHalfSlopeMbPerMin: slope(perMinute.slice(Math.floor(perMinute.length / 2))),
      fpsMedian: rates[Math.floor(rates.length / 2)] ?? 0,
      samples,
    },
  };
});

const r = results;
console.log(
  [
    `### Memory (server RSS; soak ${r.minutes} min with ${r.clients} viewers)`,
    '',
    `${r.camera}. Each RSS read ${settle} s after the server reached that state.`,
    '',
    '| state | RSS (MB) |',
    '|---|---|',
    `| started, camera unreachable | ${fmt(r.startedMb)} |`,
    `| streaming one camera, no viewer | ${fmt(r.oneCameraMb)} |`,
    ...(r.withModelMb !== undefined ? [`| one camera + detection model loaded${r.detectionNote ? ' (**detection did not run**)' : ''} | ${fmt(r.withModelMb)} |`] : []),
    `| ${r.clients} viewers, start of soak → end (max) | ${fmt(r.soak.startMb)} → ${fmt(r.soak.endMb)} (${fmt(r.soak.maxMb)}) |`,
    '',
    `RSS slope over the soak (least squares): ${fmt(r.soak.slopeMbPerMin, 2)} MB/min overall, ${fmt(r.soak.secondHalfSlopeMbPerMin, 2)} MB/min over its second half; viewers' median fps ${fmt(r.soak.fpsMedian, 1)}.${r.detectionNote ? ` Detection: ${r.detectionNote}.` : ''}`,
  ].join('\n'),
);
writeResults(options.json, results);
