// What the benches share: flags, statistics, /proc readings, the measurable camera, the server
// and viewers in child processes.
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { childProcesses, fixturePath, rssMb, startRtspCamera, startServer, type RtspCamera, type RunningServer } from '@cctv/testbed';

/**
 * Flags as `--name value` (and `--name` alone for booleans), with defaults; `--json FILE` writes
 * the bench's results as JSON there (run-all reads them).
 */
export function flags<T extends Record<string, string | boolean>>(defaults: T): { [K in keyof T]: T[K] extends boolean ? boolean : string } & { json?: string } {
  const options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }> = { json: { type: 'string' } };
  for (const [name, value] of Object.entries(defaults)) options[name] = { type: typeof value === 'boolean' ? 'boolean' : 'string', default: value };
  const { values } = parseArgs({ args: process.argv.slice(2), options, strict: true });
  return values as never;
}

export function writeResults(file: string | undefined, results: unknown): void {
  if (file) writeFileSync(file, JSON.stringify(results, null, 2));
}

/** The value below which p % of the (sorted) values lie; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || NaN);
  return { n: sorted.length, mean, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** A number for a table: `digits` decimals, "–" for NaN. */
export function fmt(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** Least-squares slope of y over x (e.g. MB per minute), NaN with fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : NaN;
}

/** CPU seconds a process has used (user + system, all its threads), from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** CPU % of processes over a window: call `stop()` at its end. A process that ended meanwhile is left out (/proc no longer has its times). */
export function cpuMeter(pids: () => number[]): { stop(): number } {
  const started = performance.now();
  const before = new Map(pids().map((pid) => [pid, cpuSeconds(pid)]));
  return {
    stop() {
      let used = 0;
      for (const [pid, was] of before) {
        const now = cpuSeconds(pid);
        if (Number.isFinite(now)) used += now - was;
      }
      return (used / ((performance.now() - started) / 1000)) * 100;
    },
  };
}

/**
 * How busy the whole machine was over a window, in % of one core (all cores: up to nproc × 100),
 * from /proc/stat: what the bench's own processes did not use of it is other work's.
 */
export function machineCpuMeter(): { stop(): number } {
  const busyTicks = () => {
    // user nice system idle iowait irq softirq steal, in USER_HZ (100) ticks.
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return ticks.reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!;
  };
  const started = performance.now();
  const before = busyTicks();
  return {
    stop() {
      return ((busyTicks() - before) / 100 / ((performance.now() - started) / 1000)) * 100;
    },
  };
}

/** The server's decoder children, one per camera: gst-launch-1.0 for RTSP where GStreamer is installed, else ffmpeg. */
export async function decoderPids(serverPid: number): Promise<number[]> {
  return (await childProcesses(serverPid)).filter((p) => /ffmpeg|gst-launch-1\.0/.test(p.command)).map((p) => p.pid);
}

/** Samples a process's RSS every `everyMs` until `stop()`: [seconds since start, MB] pairs. */
export function rssSampler(pid: number, everyMs = 1000): { samples: Array<[number, number]>; stop(): Array<[number, number]> } {
  const started = performance.now();
  const samples: Array<[number, number]> = [];
  const take = () => {
    const mb = rssMb(pid);
    if (Number.isFinite(mb)) samples.push([(performance.now() - started) / 1000, mb]);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/**
 * Round trips of GET /api/health every `everyMs` until `stop()`: the server's event-loop lag as
 * seen from outside (a busy loop answers late), plus loopback and HTTP cost (see the idle figure).
 */
export function healthProbe(url: string, everyMs = 250): { stop(): Promise<number[]> } {
  const rtts: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const ok = await fetch(`${url}/api/health`).then((r) => r.arrayBuffer().then(() => r.ok), () => false);
      if (ok) rtts.push(performance.now() - started);
      await Bun.sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return rtts;
    },
  };
}

export interface BenchCamera {
  camera: RtspCamera;
  /** What the camera shows, for the report. */
  description: string;
}

/**
 * The measurable camera (stamped RTSP, 1280×720 at 15 fps by default). `scene: 'video'` shows the
 * people-720p clip under the stamp (real JPEG sizes, ~110 kB at q65), falling back to the
 * pattern when the fixture is missing; `pattern` is a gradient with a moving block (~25 kB).
 */
export async function startBenchCamera(options: { scene?: string; width?: number; height?: number; fps?: number } = {}): Promise<BenchCamera> {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const fps = options.fps ?? 15;
  const video = options.scene === 'pattern' ? undefined : fixturePath('video/people-720p.mp4');
  const camera = await startRtspCamera({ width, height, fps, stamped: true, video });
  const scene = video ? 'people-720p.mp4 looped' : 'gradient + moving block';
  return { camera, description: `stamped RTSP camera (GStreamer x264 ultrafast/zerolatency), ${width}×${height} at ${fps} fps, ${scene}` };
}

/** The server on a camera, streaming at 15 fps (a test helper: the server itself never polls). */
export async function startBenchServer(cameraUrl: string, config: Record<string, unknown> = {}): Promise<RunningServer> {
  const server = await startServer({ camera_url: cameraUrl, target_fps: 15, ...config });
  await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 13, 60_000);
  return server;
}

/**
 * With detection_enabled: waits (up to 60 s) for the server's detector to run. Undefined when it
 * runs; else why not, in the server's words (a model that failed to load, say).
 */
export async function detectionNote(server: RunningServer): Promise<string | undefined> {
  const deadline = Date.now() + 60_000;
  let status: any;
  while (Date.now() < deadline) {
    status = await server.get('/api/status');
    const detection = status.detection;
    if (!detection) return 'the server reports no detection status';
    if (detection.state === 'running' && detection.frames_detected > 0) return undefined;
    if (/fail|error|stopped|disabled/i.test(String(detection.state))) return `detection ${detection.state}${detection.reason ? `: ${detection.reason}` : ''}`;
    await Bun.sleep(500);
  }
  return `detection did not start within 60 s (state ${status?.detection?.state}${status?.detection?.reason ? `: ${status.detection.reason}` : ''})`;
}

export interface ClientSummary {
  parts: number;
  /** Parts per second, first to last. */
  fps: number;
  bytes: number;
  errors: number;
  firstError?: string;
}

export interface ClientsResult {
  normal: ClientSummary[];
  slow: ClientSummary[];
  /** Part received − X-Timestamp (the server had the decoded frame), ms, normal clients; sampled when large. */
  latencies: number[];
  /** Part received − X-Encoded-At (the JPEG was ready), ms, normal clients; sampled likewise. */
  fromEncoded: number[];
  /** CPU seconds the viewer processes used (all of their life, start-up included). */
  cpuSeconds: number;
}

/**
 * N MJPEG viewers (and `slow` throttled ones) in `procs` child processes (bench/clients.ts), so
 * that neither the server's nor this process's event loop carries them. `url` may be a
 * comma-separated list: in each process viewer i reads the i-th URL (one viewer per camera: one process).
 */
export async function runClients(options: { url: string; count: number; seconds: number; procs?: number; slow?: number; slowBytesPerSecond?: number; sliceSeconds?: number; reader?: string }): Promise<ClientsResult> {
  const procs = Math.max(1, Math.min(options.procs ?? (options.count >= 200 ? 2 : 1), options.count || 1));
  const spawn = (count: number, slow: number) => {
    const args = [process.execPath, new URL('./clients.ts', import.meta.url).pathname, '--url', options.url, '--count', String(count), '--seconds', String(options.seconds)];
    if (slow) args.push('--slow', String(slow), '--slow-bytes-per-second', String(options.slowBytesPerSecond ?? 10_000));
    if (options.sliceSeconds) args.push('--slice-seconds', String(options.sliceSeconds));
    if (options.reader) args.push('--reader', options.reader);
    const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'inherit' });
    return (async () => {
      const text = await new Response(proc.stdout).text();
      const code = await proc.exited;
      if (code !== 0) throw new Error(`bench/clients.ts exited with ${code}: ${text.slice(-500)}`);
      return JSON.parse(text) as ClientsResult;
    })();
  };
  const runs = Array.from({ length: procs }, (_, i) => spawn(Math.floor(options.count / procs) + (i < options.count % procs ? 1 : 0), 0));
  // Slow viewers in a process of their own: their pace is then theirs, not the normal viewers' loop's.
  if (options.slow) runs.push(spawn(0, options.slow));
  const results = await Promise.all(runs);
  return {
    normal: results.flatMap((r) => r.normal),
    slow: results.flatMap((r) => r.slow),
    latencies: results.flatMap((r) => r.latencies),
    fromEncoded: results.flatMap((r) => r.fromEncoded),
    cpuSeconds: results.reduce((a, r) => a + r.cpuSeconds, 0),
  };
}

/** The machine, for the report: cores, CPU model, RAM, Bun, and the load when the bench ran. */
export function machine(): { nproc: number; cpu: string; ramGb: number; bun: string; kernel: string; loadavg: string } {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: navigator.hardwareConcurrency,
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown',
    ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    bun: Bun.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

/** Starts and stops things in order, stopping what started even when a step throws. */
export async function withCleanup<T>(body: (defer: (stop: () => Promise<unknown>) => void) => Promise<T>): Promise<T> {
  const stops: Array<() => Promise<unknown>> = [];
  try {
    return await body((stop) => stops.push(stop));
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`cleanup: ${(error as Error).message}`));
  }
}
