import { FrameBuffer, type Frame } from '@cctv/frame-buffer';
import { jpegSize, readMjpegParts } from '@cctv/testbed';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MJPEG_BOUNDARY, mjpegResponse, type MjpegClient } from '../src/index.ts';

/** Real JPEGs (made by ffmpeg), so clients can check every part decodes. */
let jpegs: Array<Uint8Array<ArrayBuffer>> = [];
beforeAll(async () => {
  const proc = Bun.spawn(['ffmpeg', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-frames:v', '10', '-q:v', '5', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'], { stdout: 'pipe' });
  const all = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  for (let start = 0, i = 2; i < all.length; i++) {
    if (all[i - 1] === 0xff && all[i] === 0xd9) {
      jpegs.push(all.slice(start, i + 1));
      start = i + 1;
    }
  }
  expect(jpegs.length).toBe(10);
});

interface Harness {
  url: string;
  frames: FrameBuffer;
  clients: MjpegClient[];
  produce(fps: number): void;
}

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup) fn();
  cleanup = [];
});

function harness(options: { keepaliveMs?: number; placeholder?: () => Frame | undefined } = {}): Harness {
  const frames = new FrameBuffer();
  const clients: MjpegClient[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(request) {
      const fps = new URL(request.url).searchParams.get('fps');
      const { response, client } = mjpegResponse(frames, { maxFps: fps ? Number(fps) : undefined, signal: request.signal, keepaliveMs: options.keepaliveMs, placeholder: options.placeholder });
      clients.push(client);
      return response;
    },
  });
  const timers: Array<ReturnType<typeof setInterval>> = [];
  cleanup.push(() => {
    timers.forEach(clearInterval);
    frames.close();
    server.stop(true);
  });
  let n = 0;
  return {
    url: `http://127.0.0.1:${server.port}/`,
    frames,
    clients,
    produce(fps) {
      timers.push(
        setInterval(() => {
          const now = Date.now();
          frames.push({ jpeg: jpegs[n++ % jpegs.length]!, width: 320, height: 240, capturedAt: now, encodedAt: now, detections: [] });
        }, 1000 / fps),
      );
    },
  };
}

describe('MJPEG writer', () => {
  it("sends well-formed parts with the seed's headers, each a whole JPEG with its sequence and timestamp", async () => {
    const h = harness();
    h.produce(20);
    const result = await readMjpegParts(h.url, { maxParts: 12 });
    expect(result.errors).toEqual([]);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe(`multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`);
    expect(result.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(result.headers['pragma']).toBe('no-cache');
    expect(result.headers['expires']).toBe('0');
    expect(result.headers['x-accel-buffering']).toBe('no');
    expect(result.parts).toHaveLength(12);
    const seqs = result.parts.map((p) => Number(p.headers['x-frame-seq']));
    for (const part of result.parts) {
      expect(part.headers['content-type']).toBe('image/jpeg');
      expect(Number(part.headers['content-length'])).toBe(part.body.byteLength);
      expect(jpegSize(part.body)).toEqual({ width: 320, height: 240 });
      expect(Math.abs(Number(part.headers['x-timestamp']) * 1000 - Date.now())).toBeLessThan(10_000);
      expect(Number(part.headers['x-encoded-at'])).toBeGreaterThanOrEqual(Number(part.headers['x-timestamp']));
    }
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  });

  it('shows a new viewer the latest frame at once', async () => {
    const h = harness();
    const now = Date.now();
    h.frames.push({ jpeg: jpegs[3]!, width: 320, height: 240, capturedAt: now, encodedAt: now, detections: [] });
    const started = Date.now();
    const result = await readMjpegParts(h.url, { maxParts: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.parts[0]!.headers['x-frame-seq']).toBe('1');
    expect(result.parts[0]!.body).toEqual(jpegs[3]);
  });

  it('caps a client at ?fps=N while the others get every frame', async () => {
    const h = harness();
    h.produce(20);
    const [capped, full] = await Promise.all([readMjpegParts(`${h.url}?fps=4`, { durationMs: 2500 }), readMjpegParts(h.url, { durationMs: 2500 })]);
    expect(capped.parts.length).toBeGreaterThanOrEqual(8);
    expect(capped.parts.length).toBeLessThanOrEqual(12);
    expect(full.parts.length).toBeGreaterThanOrEqual(40);
  });

  it('lets a slow client skip to the newest frame and count what it dropped, without slowing the others', async () => {
    const h = harness();
    // Frames padded to ~200 kB so a 50 kB/s reader falls far behind.
    const big = new Uint8Array(200_000);
    big.set(jpegs[0]!);
    const timer = setInterval(() => {
      const now = Date.now();
      h.frames.push({ jpeg: big, width: 320, height: 240, capturedAt: now, encodedAt: now, detections: [] });
    }, 50);
    cleanup.push(() => clearInterval(timer));
    const [slow, fast] = await Promise.all([
      readMjpegParts(h.url, { durationMs: 4000, bytesPerSecond: 50_000, keepBodies: 0 }),
      readMjpegParts(h.url, { durationMs: 4000, keepBodies: 0 }),
    ]);
    expect(fast.parts.length).toBeGreaterThanOrEqual(65); // ~80 produced in 4 s
    expect(fast.errors).toEqual([]);
    // The slow reader is still reading what the kernel's socket buffers took in early (several
    // MB on loopback); the skipping shows on the server's side of the socket.
    expect(slow.bytes).toBeLessThan(400_000);
    const slowClient = h.clients.find((c) => c.stats.framesDropped > 0);
    expect(slowClient).toBeDefined();
    expect(slowClient!.stats.framesDropped).toBeGreaterThan(20);
  });

  it('stops a client loop as soon as the viewer disconnects', async () => {
    const h = harness();
    h.produce(10);
    await readMjpegParts(h.url, { maxParts: 3 });
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && !h.clients[0]!.closed) await Bun.sleep(20);
    expect(h.clients[0]!.closed).toBe(true);
    const sent = h.clients[0]!.stats.framesSent;
    await Bun.sleep(500);
    expect(h.clients[0]!.stats.framesSent).toBe(sent);
    expect(h.frames.waiting).toBe(0);
  });

  it('re-sends the last frame while the source is stalled, so the connection stays open', async () => {
    const h = harness({ keepaliveMs: 300 });
    const now = Date.now();
    h.frames.push({ jpeg: jpegs[1]!, width: 320, height: 240, capturedAt: now, encodedAt: now, detections: [] });
    const result = await readMjpegParts(h.url, { durationMs: 1400 });
    expect(result.errors).toEqual([]);
    expect(result.parts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(result.parts.map((p) => p.headers['x-frame-seq']))).toEqual(new Set(['1']));
    expect(h.clients[0]!.stats.keepalivesSent).toBeGreaterThanOrEqual(3);
  });

  it('shows the placeholder before the first frame, repeats it while there is none, then streams', async () => {
    const placeholder = (): Frame => ({ seq: 0, jpeg: jpegs[9]!, width: 320, height: 240, capturedAt: Date.now(), encodedAt: Date.now(), detections: [], fps: 0 });
    const h = harness({ keepaliveMs: 300, placeholder });
    setTimeout(() => h.produce(10), 1000);
    const result = await readMjpegParts(h.url, { durationMs: 1800, keepBodies: 100 });
    expect(result.errors).toEqual([]);
    const seqs = result.parts.map((p) => Number(p.headers['x-frame-seq']));
    expect(seqs[0]).toBe(0);
    expect(result.parts[0]!.body).toEqual(jpegs[9]);
    expect(seqs.filter((seq) => seq === 0).length).toBeGreaterThanOrEqual(3);
    expect(seqs.at(-1)).toBeGreaterThan(3);
    expect(seqs.indexOf(1)).toBeGreaterThan(seqs.lastIndexOf(0));
  });
});
