// One slow viewer among normal ones: 100 viewers alone, then the same 100 plus one that reads at
// 10 kB/s (real TCP backpressure: readMjpegParts' bytesPerSecond). Does the slow one change the
// others' frame rate or latency, or grow the server's memory?
//   bun bench/slow-client.ts [--clients 100] [--seconds 30] [--slow-bytes-per-second 10000] [--scene video|pattern] [--json FILE]
import { flags, fmt, percentile, rssSampler, runClients, slope, startBenchCamera, startBenchServer, summarize, withCleanup, writeResults, type ClientSummary, type Summary } from './lib.ts';

const options = flags({ clients: '100', seconds: '30', 'slow-bytes-per-second': '10000', scene: 'video' });
const count = Number(options.clients);
const seconds = Number(options.seconds);
const slowRate = Number(options['slow-bytes-per-second']);

export interface SlowPhase {
  fpsMin: number;
  fpsMedian: number;
  latency: Summary;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** Least-squares slope of RSS over the phase, MB per minute. */
  rssSlopeMbPerMin: number;
  framesDropped: number;
  slow?: ClientSummary;
}

export interface SlowClientResults {
  seconds: number;
  clients: number;
  slowBytesPerSecond: number;
  camera: string;
  alone: SlowPhase;
  withSlow: SlowPhase;
  /** Change of the normal viewers' median fps and p50 latency with the slow one, %. */
  fpsChangePct: number;
  latencyChangePct: number;
  /** RSS every second through both phases: [s, MB]. */
  rss: Array<[number, number]>;
}

const results = await withCleanup(async (defer): Promise<SlowClientResults> => {
  const { camera, description } = await startBenchCamera({ scene: options.scene });
  defer(() => camera.stop());
  const server = await startBenchServer(camera.url);
  defer(() => server.stop());
  await Bun.sleep(2000);
  const rss = rssSampler(server.pid, 1000);
  const url = `${server.url}/api/stream/video`;
  const phase = async (slow: number): Promise<SlowPhase> => {
    const from = rss.samples.length;
    const before = (await server.get('/api/status')).stream.frames_dropped;
    const clients = await runClients({ url, count, seconds, slow, slowBytesPerSecond: slowRate });
    const after = (await server.get('/api/status')).stream.frames_dropped;
    const samples = rss.samples.slice(from);
    const rates = clients.normal.map((c) => c.fps).sort((a, b) => a - b);
    return {
      fpsMin: rates[0] ?? 0,
      fpsMedian: percentile(rates, 50),
      latency: summarize(clients.latencies),
      rssStartMb: samples[0]?.[1] ?? NaN,
      rssEndMb: samples.at(-1)?.[1] ?? NaN,
      rssMaxMb: Math.max(...samples.map(([, mb]) => mb)),
      rssSlopeMbPerMin: slope(samples.map(([s, mb]) => [s / 60, mb] as const)),
      framesDropped: after - before,
      ...(clients.slow[0] ? { slow: clients.slow[0] } : {}),
    };
  };
  const alone = await phase(0);
  await Bun.sleep(1000);
  const withSlow = await phase(1);
  return {
    seconds,
    clients: count,
    slowBytesPerSecond: slowRate,
    camera: description,
    alone,
    withSlow,
    fpsChangePct: (withSlow.fpsMedian / alone.fpsMedian - 1) * 100,
    latencyChangePct: (withSlow.latency.p50 / alone.latency.p50 - 1) * 100,
    rss: rss.stop(),
  };
});

const r = results;
const row = (name: string, p: SlowPhase) =>
  `| ${name} | ${fmt(p.fpsMin, 1)} / ${fmt(p.fpsMedian, 1)} | ${fmt(p.latency.p50)} / ${fmt(p.latency.p90)} / ${fmt(p.latency.p99)} | ${fmt(p.rssStartMb)} → ${fmt(p.rssEndMb)} (max ${fmt(p.rssMaxMb)}) | ${fmt(p.rssSlopeMbPerMin, 1)} | ${p.framesDropped} |`;
const slow = r.withSlow.slow;
console.log(
  [
    `### One slow viewer (${r.seconds} s per phase, ${r.clients} normal viewers, one at ${fmt(r.slowBytesPerSecond / 1000)} kB/s)`,
    '',
    `${r.camera}.`,
    '',
    '| phase | normal viewers fps min / median | latency decoded → viewer p50 / p90 / p99 (ms) | server RSS (MB) | RSS slope (MB/min) | frames dropped (all viewers) |',
    '|---|---|---|---|---|---|',
    row(`${r.clients} viewers`, r.alone),
    row(`${r.clients} viewers + 1 slow`, r.withSlow),
    '',
    `With the slow viewer the others' median fps changed by ${fmt(r.fpsChangePct, 1)} % and their p50 latency by ${fmt(r.latencyChangePct, 1)} %. The slow viewer got ${slow?.parts ?? 0} frames (${fmt(slow?.fps, 2)} fps, ${fmt((slow?.bytes ?? 0) / 1000)} kB).`,
    '',
    `RSS each second (MB): ${r.rss.map(([, mb]) => fmt(mb)).join(' ')}`,
  ].join('\n'),
);
writeResults(options.json, results);
