// Fan-out and latency of the spine: a real RTSP camera (720p, 15 fps) → the server (its own
// process) → N MJPEG viewers in this process, for each N in turn. Prints a markdown table.
//   bun bench/fanout.ts [--clients 1,50,200,500] [--seconds 10] [--pattern ball|snow]
import { readFileSync } from 'node:fs';
import { partsPerSecond, readMjpegParts, rssMb, startRtspCamera, startServer } from '@cctv/testbed';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const counts = option('clients', '1,50,200,500').split(',').map(Number);
const seconds = Number(option('seconds', '10'));
// ball: ~10 kB JPEGs; snow: noise, ~270 kB JPEGs (a worst case beyond real cameras' 50-150 kB).
const pattern = option('pattern', 'ball') === 'snow' ? 'snow' : 'ball';

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

const camera = await startRtspCamera({ width: 1280, height: 720, fps: 15, pattern });
const server = await startServer({ camera_url: camera.url, target_fps: 15 });
await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 14);
await Bun.sleep(2000);
console.log(`camera ${camera.url} 1280x720@15 (${pattern}, snapshot ${(await (await fetch(`${server.url}/api/stream/snapshot.jpg`)).arrayBuffer()).byteLength} bytes), server pid ${server.pid}, RSS at idle ${rssMb(server.pid).toFixed(0)} MB, ${seconds} s per step\n`);
console.log('| viewers | fps per viewer (min / median) | latency capture→viewer p50 / p90 / p99 (ms) | server CPU % | server RSS (MB) | frames dropped |');
console.log('|---|---|---|---|---|---|');
for (const n of counts) {
  const droppedBefore = (await server.get('/api/status')).stream.frames_dropped;
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.pid))), 500);
  const results = await Promise.all(
    Array.from({ length: n }, () => readMjpegParts(`${server.url}/api/stream/video`, { durationMs: seconds * 1000, keepBodies: 0 })),
  );
  clearInterval(sampler);
  const cpu = ((cpuSeconds(server.pid) - cpuBefore) / ((performance.now() - started) / 1000)) * 100;
  const rates = results.map((r) => partsPerSecond(r.parts)).sort((a, b) => a - b);
  // X-Timestamp is when the server had the decoded frame; latency here is encode + hand-over + fan-out + socket.
  const latencies = results
    .flatMap((r) => r.parts.slice(1).map((p) => p.receivedAt - Number(p.headers['x-timestamp']) * 1000))
    .sort((a, b) => a - b);
  const dropped = (await server.get('/api/status')).stream.frames_dropped - droppedBefore;
  console.log(
    `| ${n} | ${rates[0]!.toFixed(1)} / ${percentile(rates, 50).toFixed(1)} | ${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 90).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)} | ${cpu.toFixed(0)} | ${peakRss.toFixed(0)} | ${dropped} |`,
  );
}
await server.stop();
await camera.stop();
