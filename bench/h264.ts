// The camera's own H.264 to the browser against MJPEG, in three parts:
//  1. bytes: the fixture clip (720p, 15 fps, its own H.264 served as it is by startRtspCameras) →
//     the server → at the same time, for the same seconds: one /api/ws H.264 viewer, one MJPEG
//     viewer (GET /api/stream/video, JPEG q65, the default), one /api/ws JPEG viewer. Bytes on the
//     wire per viewer-second (message and part bodies with their headers).
//  2. latency: the measurable camera (stamped, 720p, 15 fps) → the server → Chromium. The page
//     copies its picture at every animation frame and reads the stamp back: the first animation
//     frame that shows a camera frame, minus the ms the camera stamped into it, is camera → screen.
//     The dashboard playing H.264 with WebCodecs (its canvas), an MJPEG <img>, the dashboard
//     playing JPEG frames (?video=jpeg), and H.264 through MSE (?video=mse, its <video>): one page
//     at a time, in --rounds rounds of --seconds / rounds each, so load from elsewhere hits all alike.
//  3. fanout: the measurable camera; --viewers H.264 viewers on /api/ws (bench/h264-clients.ts),
//     then as many MJPEG viewers (bench/clients.ts, the lean reader), each for --seconds: the
//     server's CPU, each viewer's rate, what it skipped, bytes, latency (received − capture time).
// The report ends with the goals, met or not; --docs also puts it into docs/BENCHMARKS.md
// between its bench:h264 markers.
//   bun bench/h264.ts [--seconds 20] [--viewers 500] [--rounds 3] [--parts bytes,latency,fanout] [--docs] [--json FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CHROMIUM, fixturePath, launchChromium, readMjpegParts, readStamp, stampGeometry, startRtspCameras, startServer } from '@cctv/testbed';
import type { Page } from 'playwright-core';
import type { WsClientsResult } from './h264-clients.ts';
import { cpuMeter, decoderPids, flags, fmt, machine, percentile, runClients, startBenchCamera, startBenchServer, summarize, withCleanup, writeResults, type Summary } from './lib.ts';

const options = flags({ seconds: '20', viewers: '500', rounds: '3', parts: 'bytes,latency,fanout', docs: false });
const seconds = Number(options.seconds);
const viewers = Number(options.viewers);
const parts = options.parts.split(',');

interface Bytes {
  camera: string;
  seconds: number;
  /** Bytes per viewer-second. */
  h264: number;
  mjpeg: number;
  wsJpeg: number;
}

interface ScreenLatency {
  path: string;
  /** Distinct camera frames seen on screen, per second. */
  fps: number;
  /** First on screen − stamped by the camera, ms. */
  latency: Summary;
}

interface FanoutStep {
  path: 'h264' | 'mjpeg';
  viewers: number;
  serverCpu: number;
  decoderCpu: number;
  clientsCpu: number;
  fpsMin: number;
  fpsMedian: number;
  /** Frames or units the server skipped for viewers, in all. */
  skipped: number;
  /** Bytes per viewer-second. */
  bytesPerViewerSecond: number;
  /** Received − capture time in the message or part header, ms. */
  latency: Summary;
}

export interface H264Results {
  bytes?: Bytes;
  latency?: { camera: string; seconds: number; paths: ScreenLatency[] };
  fanout?: { camera: string; seconds: number; idleCpu: number; steps: FanoutStep[] };
}

const results: H264Results = {};
const before = machine();
const startedAt = new Date();

if (parts.includes('bytes')) {
  results.bytes = await withCleanup(async (defer): Promise<Bytes> => {
    const clip = fixturePath('video/people-720p.mp4');
    if (!clip) throw new Error('bytes needs the fixture clip video/people-720p.mp4 (see /work/shared/fixtures)');
    const cameras = await startRtspCameras({ count: 1, video: clip });
    defer(() => cameras.stop());
    const server = await startServer({ camera_url: cameras.urls[0]!, target_fps: 15 });
    defer(() => server.stop());
    await server.waitForStatus((s) => s.status === 'Streaming', 60_000);
    await Bun.sleep(2000);
    const ws = `${server.url.replace(/^http/, 'ws')}/api/ws`;
    const [h264, wsJpeg, mjpeg] = await Promise.all([
      wsBytes(ws, { format: 'h264' }),
      wsBytes(ws, {}),
      readMjpegParts(`${server.url}/api/stream/video`, { durationMs: seconds * 1000, keepBodies: 0 }).then((r) => r.bytes),
    ]);
    return { camera: 'people-720p.mp4 looped as it is (1280×720, 15 fps, H.264 High with B-frames, ~0.9 Mbit/s)', seconds, h264: h264 / seconds, mjpeg: mjpeg / seconds, wsJpeg: wsJpeg / seconds };
  });
  console.error('h264: bytes done');
}

/** Bytes of every message one /api/ws viewer of camera "default" gets in `seconds`. */
async function wsBytes(url: string, subscription: object): Promise<number> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let bytes = 0;
  ws.onmessage = (event) => {
    bytes += typeof event.data === 'string' ? Buffer.byteLength(event.data) : (event.data as ArrayBuffer).byteLength;
  };
  await new Promise((resolve) => (ws.onopen = resolve));
  ws.send(JSON.stringify({ type: 'subscribe', cameras: { default: subscription } }));
  await Bun.sleep(seconds * 1000);
  ws.close();
  return bytes;
}

if (parts.includes('latency')) {
  results.latency = await withCleanup(async (defer) => {
    const { camera, description } = await startBenchCamera({ scene: 'video' });
    defer(() => camera.stop());
    const server = await startBenchServer(camera.url);
    defer(() => server.stop());
    const { browser, close } = await launchChromium({ viewport: { width: 1400, height: 900 } });
    defer(close);
    const showImg = (page: Page) =>
      page.evaluate(() => {
        document.body.innerHTML = '<img src="/api/stream/video">';
      });
    const pages: Array<{ path: string; url: string; picture: string; setUp?: (page: Page) => Promise<void> }> = [
      { path: 'H.264, WebCodecs (dashboard canvas)', url: `${server.url}/`, picture: '#video canvas.picture' },
      { path: 'MJPEG <img> (GET /api/stream/video)', url: `${server.url}/api/health`, picture: 'img', setUp: showImg },
      { path: 'JPEG frames over /api/ws (dashboard ?video=jpeg)', url: `${server.url}/?video=jpeg`, picture: '#video canvas.picture' },
      { path: 'H.264, MSE (dashboard ?video=mse, its <video>)', url: `${server.url}/?video=mse`, picture: '#video video' },
    ];
    const rounds = Number(options.rounds);
    const seen = pages.map(() => ({ frames: 0, latencies: [] as number[] }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, { url, picture, setUp }] of pages.entries()) {
        const page = await browser.newPage();
        await page.goto(url);
        await setUp?.(page);
        const got = await screenLatency(page, picture, seconds / rounds);
        seen[i]!.frames += got.frames;
        seen[i]!.latencies.push(...got.latencies);
        await page.close();
      }
      console.error(`h264: latency round ${round + 1} of ${rounds} done`);
    }
    const paths: ScreenLatency[] = pages.map(({ path }, i) => ({ path, fps: seen[i]!.frames / seconds, latency: summarize(seen[i]!.latencies) }));
    return { camera: description, seconds, paths };
  });
}

/**
 * For `seconds`, at every animation frame: the stamp's cells of the picture `selector` shows,
 * as levels (the middle half of each cell, green), kept when they changed; the stamps are read
 * here (readStamp on the cells laid back into a frame of the picture's size).
 */
async function screenLatency(page: Page, selector: string, sampleSeconds: number): Promise<{ frames: number; latencies: number[] }> {
  await page.waitForFunction((selector: string) => {
    const element = document.querySelector<HTMLCanvasElement | HTMLImageElement | HTMLVideoElement>(selector);
    const width = element instanceof HTMLImageElement ? element.naturalWidth : element instanceof HTMLVideoElement ? element.videoWidth : element?.width;
    return width === 1280;
  }, selector, { timeout: 30_000 });
  await Bun.sleep(2000);
  const geometry = stampGeometry(1280, 720);
  const samples = await page.evaluate(
    ({ selector, geometry, ms }: { selector: string; geometry: ReturnType<typeof stampGeometry>; ms: number }) =>
      new Promise<Array<{ at: number; levels: number[] }>>((resolve) => {
        const { cell, x, y, width, height } = geometry;
        const scratch = document.createElement('canvas');
        scratch.width = width;
        scratch.height = height;
        const context = scratch.getContext('2d', { willReadFrequently: true })!;
        const inset = Math.floor(cell / 4);
        const samples: Array<{ at: number; levels: number[] }> = [];
        let last = '';
        const end = performance.now() + ms;
        const sample = () => {
          const at = Date.now();
          const source = document.querySelector<CanvasImageSource & Element>(selector)!;
          context.drawImage(source, x, y, width, height, 0, 0, width, height);
          const data = context.getImageData(0, 0, width, height).data;
          const levels: number[] = [];
          for (let row = 0; row < 2; row++) {
            for (let column = 0; column < 41; column++) {
              let sum = 0;
              let count = 0;
              for (let py = row * cell + inset; py < (row + 1) * cell - inset; py++) {
                for (let px = column * cell + inset; px < (column + 1) * cell - inset; px++) {
                  sum += data[(py * width + px) * 4 + 1]!;
                  count++;
                }
              }
              levels.push(Math.round(sum / count));
            }
          }
          const key = levels.map((level) => (level > 127 ? 1 : 0)).join('');
          if (key !== last) samples.push({ at, levels });
          last = key;
          if (performance.now() < end) requestAnimationFrame(sample);
          else resolve(samples);
        };
        requestAnimationFrame(sample);
      }),
    { selector, geometry, ms: sampleSeconds * 1000 },
  );
  const image = new Uint8Array(1280 * 720);
  const seen = new Map<number, number>();
  for (const { at, levels } of samples) {
    levels.forEach((level: number, i: number) => {
      const left = geometry.x + (i % 41) * geometry.cell;
      const top = geometry.y + Math.floor(i / 41) * geometry.cell;
      for (let row = top; row < top + geometry.cell; row++) image.fill(level, row * 1280 + left, row * 1280 + left + geometry.cell);
    });
    const stamp = readStamp({ data: image, width: 1280, height: 720, channels: 1 });
    if (stamp && !seen.has(stamp.timestamp)) seen.set(stamp.timestamp, at - stamp.timestamp);
  }
  return { frames: seen.size, latencies: [...seen.values()] };
}

if (parts.includes('fanout')) {
  results.fanout = await withCleanup(async (defer) => {
    const { camera, description } = await startBenchCamera({ scene: 'video' });
    defer(() => camera.stop());
    const server = await startBenchServer(camera.url);
    defer(() => server.stop());
    await Bun.sleep(2000);
    const decoder = await decoderPids(server.pid);
    const idle = cpuMeter(() => [server.pid]);
    await Bun.sleep(Math.min(10, seconds) * 1000);
    const idleCpu = idle.stop();
    const steps: FanoutStep[] = [];
    for (const path of ['h264', 'mjpeg'] as const) {
      const before = await server.get('/api/status');
      const serverCpu = cpuMeter(() => [server.pid]);
      const decoderCpu = cpuMeter(() => decoder);
      const started = performance.now();
      const step =
        path === 'h264' ? await h264Viewers(`${server.url.replace(/^http/, 'ws')}/api/ws`) : await runClients({ url: `${server.url}/api/stream/video`, count: viewers, seconds, reader: 'lean' });
      const elapsed = (performance.now() - started) / 1000;
      const cpu = serverCpu.stop();
      const decCpu = decoderCpu.stop();
      const after = await server.get('/api/status');
      const rates = ('viewers' in step ? step.viewers.map((v) => v.fps) : step.normal.map((c) => c.fps)).sort((a, b) => a - b);
      const bytes = 'viewers' in step ? step.viewers.reduce((a, v) => a + v.bytes, 0) : step.normal.reduce((a, c) => a + c.bytes, 0);
      steps.push({
        path,
        viewers,
        serverCpu: cpu,
        decoderCpu: decCpu,
        clientsCpu: (step.cpuSeconds / elapsed) * 100,
        fpsMin: rates[0] ?? 0,
        fpsMedian: percentile(rates, 50),
        skipped: after.stream.frames_dropped - before.stream.frames_dropped,
        bytesPerViewerSecond: bytes / viewers / seconds,
        latency: summarize(step.latencies),
      });
      console.error(`h264: fan-out of ${viewers} ${path} viewers done`);
      await Bun.sleep(2000);
    }
    return { camera: description, seconds, idleCpu, steps };
  });
}

/** `viewers` H.264 viewers on /api/ws in two other processes (bench/h264-clients.ts). */
async function h264Viewers(url: string): Promise<WsClientsResult> {
  const procs = viewers >= 200 ? 2 : 1;
  const runs = Array.from({ length: procs }, async (_, i) => {
    const count = Math.floor(viewers / procs) + (i < viewers % procs ? 1 : 0);
    const proc = Bun.spawn([process.execPath, new URL('./h264-clients.ts', import.meta.url).pathname, '--url', url, '--format', 'h264', '--count', String(count), '--seconds', String(seconds)], { stdout: 'pipe', stderr: 'inherit' });
    const text = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`bench/h264-clients.ts failed: ${text.slice(-500)}`);
    return JSON.parse(text) as WsClientsResult;
  });
  const all = await Promise.all(runs);
  return { viewers: all.flatMap((r) => r.viewers), latencies: all.flatMap((r) => r.latencies), cpuSeconds: all.reduce((a, r) => a + r.cpuSeconds, 0) };
}

const after = machine();
const busy = [before, after].some((m) => Number(m.loadavg.split(' ')[0]) > before.nproc * 0.5);
const kB = (bytes: number) => fmt(bytes / 1000, 1);
const lines: string[] = [
  '### H.264 to the browser against MJPEG',
  '',
  `Run ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.cpu}, Bun ${before.bun}, Chromium from ${CHROMIUM}. Load average before ${before.loadavg}, after ${after.loadavg}${busy ? ' (**other work was using the CPU: figures are noisy**)' : ''}. Command: \`bun bench/h264.ts ${process.argv.slice(2).join(' ')}\`.`,
  '',
  '| goal | measured | met? |',
  '|---|---|---|',
  ...goals(),
  '',
];
if (results.bytes) {
  const b = results.bytes;
  lines.push(
    `Bytes per viewer-second, the same camera and the same ${b.seconds} s for each viewer: ${b.camera}.`,
    '',
    '| viewer | kB/s | Mbit/s | against MJPEG |',
    '|---|---|---|---|',
    `| MJPEG, GET /api/stream/video (q65) | ${kB(b.mjpeg)} | ${fmt((b.mjpeg * 8) / 1e6, 2)} | 1 |`,
    `| JPEG frames over /api/ws | ${kB(b.wsJpeg)} | ${fmt((b.wsJpeg * 8) / 1e6, 2)} | ${fmt(b.mjpeg / b.wsJpeg, 2)}× fewer |`,
    `| **the camera's H.264 over /api/ws** | ${kB(b.h264)} | ${fmt((b.h264 * 8) / 1e6, 2)} | **${fmt(b.mjpeg / b.h264, 1)}× fewer** |`,
    '',
  );
}
if (results.latency) {
  const l = results.latency;
  lines.push(
    `Camera → screen in Chromium (headless, software decoding), ${l.seconds} s per path in ${options.rounds} rounds: ${l.camera}; the page reads the stamp off its picture at every animation frame (~60 a second).`,
    '',
    '| path | frames on screen per s | p50 (ms) | p90 (ms) | p99 (ms) |',
    '|---|---|---|---|---|',
    ...l.paths.map((p) => `| ${p.path} | ${fmt(p.fps, 1)} | ${fmt(p.latency.p50, 1)} | ${fmt(p.latency.p90, 1)} | ${fmt(p.latency.p99, 1)} |`),
    '',
  );
}
if (results.fanout) {
  const f = results.fanout;
  lines.push(
    `Fan-out, ${f.seconds} s per step: ${f.camera}. Server CPU with no viewer (capture and decode only, its pipeline Worker included): ${fmt(f.idleCpu)} %.`,
    '',
    '| viewers | fps per viewer min / median | skipped | kB per viewer-second | latency received − captured p50 / p99 (ms) | server CPU % | decoder CPU % | viewer processes CPU % |',
    '|---|---|---|---|---|---|---|---|',
    ...f.steps.map(
      (s) =>
        `| ${s.viewers} ${s.path === 'h264' ? 'H.264 (/api/ws)' : 'MJPEG'} | ${fmt(s.fpsMin, 1)} / ${fmt(s.fpsMedian, 1)} | ${s.skipped} | ${kB(s.bytesPerViewerSecond)} | ${fmt(s.latency.p50)} / ${fmt(s.latency.p99)} | ${fmt(s.serverCpu)} | ${fmt(s.decoderCpu)} | ${fmt(s.clientsCpu)} |`,
    ),
  );
}
const report = lines.join('\n');
console.log(report);
writeResults(options.json, results);
if (options.docs) {
  const docs = resolve(import.meta.dirname, '../docs/BENCHMARKS.md');
  const text = readFileSync(docs, 'utf8');
  const [start, end] = ['<!-- bench:h264:start -->', '<!-- bench:h264:end -->'];
  if (!text.includes(start) || !text.includes(end)) throw new Error(`${docs} lacks the ${start} … ${end} markers`);
  writeFileSync(docs, `${text.slice(0, text.indexOf(start) + start.length)}\n${report}\n${text.slice(text.indexOf(end))}`);
  console.error(`written into ${docs}`);
}

/** The goals for the parts that ran, as table rows. */
function goals(): string[] {
  const yes = (ok: boolean) => (ok ? 'met' : '**not met**');
  const rows: string[] = [];
  const b = results.bytes;
  if (b) rows.push(`| bytes per viewer-second ≥ 5× fewer than MJPEG q65 (fixture clip, 720p 15 fps) | MJPEG ${kB(b.mjpeg)} kB/s, H.264 ${kB(b.h264)} kB/s: ${fmt(b.mjpeg / b.h264, 1)}× fewer | ${yes(b.mjpeg / b.h264 >= 5)} |`);
  const l = results.latency;
  const h264 = l?.paths.find((p) => p.path.startsWith('H.264, WebCodecs'));
  const mjpeg = l?.paths.find((p) => p.path.startsWith('MJPEG'));
  if (h264 && mjpeg) {
    rows.push(`| camera → screen in Chromium, H.264 ≤ MJPEG + 50 ms (p50) | H.264 (WebCodecs) ${fmt(h264.latency.p50)} ms, MJPEG <img> ${fmt(mjpeg.latency.p50)} ms: ${h264.latency.p50 <= mjpeg.latency.p50 ? '' : '+'}${fmt(h264.latency.p50 - mjpeg.latency.p50)} ms | ${yes(h264.latency.p50 <= mjpeg.latency.p50 + 50)} |`);
  }
  const f = results.fanout;
  const h = f?.steps.find((s) => s.path === 'h264');
  const m = f?.steps.find((s) => s.path === 'mjpeg');
  if (h && m) {
    rows.push(
      `| ${h.viewers} H.264 viewers at full rate (every viewer ≥ 95 % of 15 fps) with less server CPU than ${m.viewers} MJPEG viewers | H.264: min ${fmt(h.fpsMin, 1)} fps, server ${fmt(h.serverCpu)} % CPU; MJPEG: min ${fmt(m.fpsMin, 1)} fps, server ${fmt(m.serverCpu)} % CPU | ${yes(h.fpsMin >= 0.95 * 15 && h.serverCpu < m.serverCpu)} |`,
    );
  }
  return rows;
}
