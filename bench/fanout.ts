// Fan-out: the measurable camera (720p, 15 fps) → the server (its own process) → N MJPEG viewers
// in one or two other processes (bench/clients.ts), for each N in turn. Per step: each viewer's
// frame rate, latency from the server's headers, the server's CPU and RSS, its event-loop lag as
// seen from outside (GET /api/health round trips under load), and frames dropped.
// Viewers read with the lean reader (headers only; `--reader checked`: the testbed's byte-by-byte
// format check, which costs the viewer processes several times more CPU).
//   bun bench/fanout.ts [--clients 10,100,500,1000] [--seconds 30] [--scene video|pattern] [--procs 2] [--reader lean|checked] [--json FILE]
import { cpuMeter, decoderPids, flags, fmt, healthProbe, percentile, rssSampler, runClients, startBenchCamera, startBenchServer, summarize, withCleanup, writeResults, type Summary } from './lib.ts';

const options = flags({ clients: '10,100,500,1000', seconds: '30', scene: 'video', procs: '', reader: 'lean' });
const counts = options.clients.split(',').map(Number);
const seconds = Number(options.seconds);

export interface FanoutStep {
  clients: number;
  fpsMin: number;
  fpsMedian: number;
  /** The server's input rate during the step (frames encoded per second). */
  serverFps: number;
  /** Part received − X-Timestamp (decoded frame in the server's hands), ms. */
  latency: Summary;
  /** Part received − X-Encoded-At (JPEG ready), ms. */
  fromEncoded: Summary;
  serverCpu: number;
  /** The camera's decoder child (gst-launch-1.0 or ffmpeg). */
  decoderCpu: number;
  /** The viewer processes' CPU (they share the machine with the server). */
  clientsCpu: number;
  rssPeakMb: number;
  rssEndMb: number;
  /** GET /api/health round trips during the step, ms. */
  health: Summary;
  framesDropped: number;
  formatErrors: number;
}

export interface FanoutResults {
  seconds: number;
  camera: string;
  jpegKb: number;
  rssIdleMb: number;
  healthIdle: Summary;
  steps: FanoutStep[];
}

const results = await withCleanup(async (defer): Promise<FanoutResults> => {
  const { camera, description } = await startBenchCamera({ scene: options.scene });
  defer(() => camera.stop());
  const server = await startBenchServer(camera.url);
  defer(() => server.stop());
  await Bun.sleep(2000);
  const snapshot = await (await fetch(`${server.url}/api/stream/snapshot.jpg`)).arrayBuffer();
  const idleProbe = healthProbe(server.url);
  await Bun.sleep(2000);
  const healthIdle = summarize(await idleProbe.stop());
  const rssIdleMb = rssSampler(server.pid).stop().at(-1)![1];
  const steps: FanoutStep[] = [];
  for (const n of counts) {
    const before = await server.get('/api/status');
    const decoder = await decoderPids(server.pid);
    const serverCpu = cpuMeter(() => [server.pid]);
    const decoderCpu = cpuMeter(() => decoder);
    const rss = rssSampler(server.pid, 500);
    const probe = healthProbe(server.url);
    const started = performance.now();
    const clients = await runClients({ url: `${server.url}/api/stream/video`, count: n, seconds, procs: options.procs ? Number(options.procs) : undefined, reader: options.reader });
    const elapsed = (performance.now() - started) / 1000;
    const cpu = serverCpu.stop();
    const decCpu = decoderCpu.stop();
    const samples = rss.stop();
    const health = summarize(await probe.stop());
    const after = await server.get('/api/status');
    const rates = clients.normal.map((c) => c.fps).sort((a, b) => a - b);
    steps.push({
      clients: n,
      fpsMin: rates[0] ?? 0,
      fpsMedian: percentile(rates, 50),
      serverFps: (after.encoder.frames_encoded - before.encoder.frames_encoded) / elapsed,
      latency: summarize(clients.latencies),
      fromEncoded: summarize(clients.fromEncoded),
      serverCpu: cpu,
      decoderCpu: decCpu,
      clientsCpu: (clients.cpuSeconds / elapsed) * 100,
      rssPeakMb: Math.max(...samples.map(([, mb]) => mb)),
      rssEndMb: samples.at(-1)![1],
      health,
      framesDropped: after.stream.frames_dropped - before.stream.frames_dropped,
      formatErrors: clients.normal.reduce((a, c) => a + c.errors, 0),
    });
    console.error(`fanout: ${n} viewers done`);
    await Bun.sleep(1000); // let the server close the last step's sockets
  }
  return { seconds, camera: description, jpegKb: snapshot.byteLength / 1000, rssIdleMb, healthIdle, steps };
});

console.log(
  [
    `### Fan-out (${results.seconds} s per step)`,
    '',
    `${results.camera}; JPEG ~${fmt(results.jpegKb)} kB. Server RSS at idle (streaming, no viewer) ${fmt(results.rssIdleMb)} MB; GET /api/health round trip at idle p50 ${fmt(results.healthIdle.p50, 1)} ms, p99 ${fmt(results.healthIdle.p99, 1)} ms. Viewers run in ${counts.some((n) => n >= 200) ? 'two other processes from 200 viewers up, else one' : 'one other process'}.`,
    '',
    '| viewers | fps per viewer min / median (server in) | latency decoded → viewer p50 / p90 / p99 (ms) | JPEG ready → viewer p50 / p99 (ms) | server CPU % | decoder CPU % | viewer processes CPU % | server RSS peak (MB) | /api/health RTT p50 / p99 / max (ms) | frames dropped | format errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.steps.map(
      (s) =>
        `| ${s.clients} | ${fmt(s.fpsMin, 1)} / ${fmt(s.fpsMedian, 1)} (${fmt(s.serverFps, 1)}) | ${fmt(s.latency.p50)} / ${fmt(s.latency.p90)} / ${fmt(s.latency.p99)} | ${fmt(s.fromEncoded.p50)} / ${fmt(s.fromEncoded.p99)} | ${fmt(s.serverCpu)} | ${fmt(s.decoderCpu)} | ${fmt(s.clientsCpu)} | ${fmt(s.rssPeakMb)} | ${fmt(s.health.p50, 1)} / ${fmt(s.health.p99, 1)} / ${fmt(s.health.max)} | ${s.framesDropped} | ${s.formatErrors} |`,
    ),
  ].join('\n'),
);
writeResults(options.json, results);
