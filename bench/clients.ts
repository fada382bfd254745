// MJPEG viewers in their own process (started by lib.ts runClients): `count` normal viewers and
// `slow` throttled ones, for `seconds`; prints one JSON ClientsResult on stdout.
// Normal viewers use the lean reader (lean-reader.ts: headers only, bodies skipped uncopied);
// `--reader checked` uses the testbed's readMjpegParts, which checks every byte of the format but
// costs far more CPU. Slow viewers always use readMjpegParts (it throttles with real backpressure).
// With --slice-seconds each viewer reconnects that often (as real viewers come and go). --url may be
// a comma-separated list: viewer i reads the i-th URL, round robin (one viewer per camera).
//   bun bench/clients.ts --url http://127.0.0.1:5001/api/stream/video --count 100 --seconds 30 [--slow 1 --slow-bytes-per-second 10000] [--slice-seconds 60] [--reader lean|checked]
import { readMjpegParts } from '@cctv/testbed';
import { readLean, type LeanResult } from './lean-reader.ts';
import type { ClientSummary, ClientsResult } from './lib.ts';
import { flags } from './lib.ts';

const options = flags({ url: '', count: '1', seconds: '10', slow: '0', 'slow-bytes-per-second': '10000', 'slice-seconds': '', reader: 'lean' });
const durationMs = Number(options.seconds) * 1000;
const sliceMs = options['slice-seconds'] ? Number(options['slice-seconds']) * 1000 : durationMs;
const urls = options.url.split(',');
/** Latency samples kept in all (the rest are sampled evenly): enough for a p99, small enough to print. */
const MAX_SAMPLES = 200_000;

/** One connection, as the lean reader reports it (the checked reader's result mapped onto it). */
async function connect(url: string, bytesPerSecond?: number): Promise<LeanResult> {
  const ms = Math.min(sliceMs, endAt - Date.now());
  if (!bytesPerSecond && options.reader === 'lean') return readLean(url, ms);
  const r = await readMjpegParts(url, { durationMs: ms, keepBodies: 0, bytesPerSecond });
  return {
    bytes: r.bytes,
    errors: r.errors,
    parts: r.parts.map((p) => ({ receivedAt: p.receivedAt, capturedAt: Number(p.headers['x-timestamp']) * 1000, encodedAt: Number(p.headers['x-encoded-at']) * 1000, size: p.size })),
  };
}

const endAt = Date.now() + durationMs;
/** One viewer for the whole run: a connection per slice, one after another. */
async function viewer(url: string, bytesPerSecond?: number): Promise<LeanResult[]> {
  const slices: LeanResult[] = [];
  while (Date.now() < endAt - 100) slices.push(await connect(url, bytesPerSecond));
  return slices;
}

/** Connections opened per millisecond at the start: 1000 at once overflow the listen backlog (SYN cookies). */
const RAMP_PER_MS = 0.5;
const [normal, slow] = await Promise.all([
  Promise.all(Array.from({ length: Number(options.count) }, (_, i) => Bun.sleep(i / RAMP_PER_MS).then(() => viewer(urls[i % urls.length]!)))),
  Promise.all(Array.from({ length: Number(options.slow) }, (_, i) => viewer(urls[i % urls.length]!, Number(options['slow-bytes-per-second'])))),
]);

function summary(slices: LeanResult[]): ClientSummary {
  const errors = slices.flatMap((r) => r.errors);
  // Frames over time within each connection, the gaps between connections left out.
  const intervals = slices.reduce((n, r) => n + Math.max(0, r.parts.length - 1), 0);
  const spanMs = slices.reduce((ms, r) => ms + (r.parts.length > 1 ? r.parts.at(-1)!.receivedAt - r.parts[0]!.receivedAt : 0), 0);
  return {
    parts: slices.reduce((n, r) => n + r.parts.length, 0),
    fps: spanMs ? (intervals * 1000) / spanMs : 0,
    bytes: slices.reduce((n, r) => n + r.bytes, 0),
    errors: errors.length,
    ...(errors.length ? { firstError: errors[0] } : {}),
  };
}

const latencies: number[] = [];
const fromEncoded: number[] = [];
const connections = normal.flat();
const total = connections.reduce((n, r) => n + Math.max(0, r.parts.length - 1), 0);
const every = Math.max(1, Math.ceil(total / MAX_SAMPLES));
let i = 0;
for (const r of connections) {
  // The first part is the frame the server already had when the viewer connected: not a latency.
  for (const part of r.parts.slice(1)) {
    if (i++ % every) continue;
    latencies.push(part.receivedAt - part.capturedAt);
    if (Number.isFinite(part.encodedAt)) fromEncoded.push(part.receivedAt - part.encodedAt);
  }
}

const usage = process.cpuUsage();
const result: ClientsResult = { normal: normal.map(summary), slow: slow.map(summary), latencies, fromEncoded, cpuSeconds: (usage.user + usage.system) / 1e6 };
process.stdout.write(JSON.stringify(result));
