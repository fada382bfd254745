import { afterEach, describe, expect, it } from 'vitest';
import { jpegSize, partsPerSecond, readMjpegParts } from '../src/index.ts';
import { ffmpegJpeg, finiteParts, partBytes, serve, type TestServer } from './peers.ts';

const servers: TestServer[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.stop()));
function start(...args: Parameters<typeof serve>): string {
  const server = serve(...args);
  servers.push(server);
  return server.url;
}

const sizes = ['160x120', '320x240', '64x48'];
const expectedSizes = [
  { width: 160, height: 120 },
  { width: 320, height: 240 },
  { width: 64, height: 48 },
];

describe('readMjpegParts', () => {
  it('parses every part of a chunked multipart response: status, headers, bodies', async () => {
    const jpegs = await Promise.all(sizes.map(ffmpegJpeg));
    const result = await readMjpegParts(start(finiteParts(jpegs.map((body) => ({ body })))), { maxParts: 3 });
    expect(result.status).toBe(200);
    // Bun sends a streamed body chunked, so the de-chunking is exercised here.
    expect(result.headers['transfer-encoding']).toBe('chunked');
    expect(result.headers['content-type']).toBe('multipart/x-mixed-replace; boundary=b');
    expect(result.boundary).toBe('b');
    expect(result.errors).toEqual([]);
    expect(result.parts.map((p) => p.headers)).toEqual(jpegs.map((j) => ({ 'content-type': 'image/jpeg', 'content-length': String(j.byteLength) })));
    expect(result.parts.map((p) => jpegSize(p.body))).toEqual(expectedSizes);
    expect(result.parts.map((p, i) => Buffer.from(p.body).equals(jpegs[i]!))).toEqual([true, true, true]);
    expect(result.bytes).toBe(jpegs.reduce((sum, j) => sum + partBytes(j).reduce((n, b) => n + b.byteLength, 0), 0));
  });

  it('stops at maxParts even when more parts came in the same read', async () => {
    const jpeg = await ffmpegJpeg('64x48');
    const result = await readMjpegParts(start(finiteParts([{ body: jpeg }, { body: jpeg }, { body: jpeg }])), { maxParts: 2 });
    expect(result.parts).toHaveLength(2);
  });

  it('reports a part whose Content-Length is wrong, and finds the next part', async () => {
    const jpeg = await ffmpegJpeg('64x48');
    const result = await readMjpegParts(start(finiteParts([{ body: jpeg, length: jpeg.byteLength - 5 }, { body: jpeg }])));
    expect(result.errors).toEqual([`part 1: Content-Length ${jpeg.byteLength - 5} does not end at a CRLF`]);
    expect(result.parts).toHaveLength(2);
    expect(jpegSize(result.parts[1]!.body)).toEqual({ width: 64, height: 48 });
  });

  it('reports a part with no boundary line or no Content-Length', async () => {
    const jpeg = await ffmpegJpeg('64x48');
    const bad = new TextEncoder().encode(`--x\r\nContent-Type: image/jpeg\r\n\r\n`);
    const stream = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bad);
          controller.enqueue(jpeg);
          for (const bytes of partBytes(jpeg)) controller.enqueue(bytes);
          controller.close();
        },
      });
    const result = await readMjpegParts(start(stream));
    expect(result.errors).toEqual(['part 1: expected "--b", got "--x"', 'part 1: no valid Content-Length']);
    expect(result.parts.map((p) => jpegSize(p.body))).toEqual([{ width: 64, height: 48 }]);
  });

  it('reports a response that is not multipart, and ends with its body', async () => {
    const started = Date.now();
    const result = await readMjpegParts(start(() => 'no camera', { 'Content-Type': 'text/plain' }), { maxParts: 5 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.status).toBe(200);
    expect(result.boundary).toBeUndefined();
    expect(result.errors).toEqual(['not a multipart/x-mixed-replace response with a boundary: Content-Type "text/plain"']);
    expect(result.bytes).toBe('no camera'.length);
    expect(result.parts).toEqual([]);
  });

  it('keeps only the last keepBodies bodies, and every part’s size and time', async () => {
    const jpegs = await Promise.all(Array.from({ length: 10 }, (_, i) => ffmpegJpeg(`${64 + 16 * i}x48`)));
    const result = await readMjpegParts(start(finiteParts(jpegs.map((body) => ({ body })))));
    expect(result.parts).toHaveLength(10);
    expect(result.parts.map((p) => p.size)).toEqual(jpegs.map((j) => j.byteLength));
    expect(result.parts.map((p) => p.body.byteLength)).toEqual([...Array(7).fill(0), ...jpegs.slice(7).map((j) => j.byteLength)]);
    expect(result.parts.every((p) => p.receivedAt > 0)).toBe(true);
    const none = await readMjpegParts(start(finiteParts(jpegs.map((body) => ({ body })))), { maxParts: 10, keepBodies: 0 });
    expect(none.parts.map((p) => p.body.byteLength)).toEqual(Array(10).fill(0));
  });

  it('reads no faster than bytesPerSecond, and parses bytes that come in small pieces', async () => {
    const body = new Uint8Array(100_000);
    const started = Date.now();
    const result = await readMjpegParts(start(finiteParts([{ body }])), { maxParts: 1, bytesPerSecond: 100_000 });
    const ms = Date.now() - started;
    expect(result.parts[0]!.size).toBe(100_000);
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(1500);
    // 20 kB/s hands the parser ~400-byte pieces: boundaries, heads and chunk-size lines get split.
    const jpegs = await Promise.all(sizes.map(ffmpegJpeg));
    const slow = await readMjpegParts(start(finiteParts(jpegs.map((body) => ({ body })))), { bytesPerSecond: 20_000, keepBodies: 3 });
    expect(slow.errors).toEqual([]);
    expect(slow.parts.map((p) => jpegSize(p.body))).toEqual(expectedSizes);
  });

  it('holds the server back when it reads slowly (TCP backpressure)', async () => {
    let produced = 0;
    const jpeg = await ffmpegJpeg('1280x720');
    const endless = () =>
      new ReadableStream<Uint8Array>({
        // pull() runs only when the response has room: a stalled socket stops it.
        pull(controller) {
          for (const bytes of partBytes(jpeg)) controller.enqueue(bytes);
          produced += jpeg.byteLength;
        },
      });
    const url = start(endless);
    const slow = await readMjpegParts(url, { durationMs: 2000, bytesPerSecond: 50_000 });
    const producedForSlow = produced;
    produced = 0;
    const fast = await readMjpegParts(url, { durationMs: 2000, keepBodies: 0 });
    expect(slow.bytes).toBeGreaterThan(80_000);
    expect(slow.bytes).toBeLessThan(120_000);
    expect(slow.errors).toEqual([]);
    // Loopback's kernel buffers take a few MB before the server stalls; a free reader takes GBs.
    expect(producedForSlow).toBeLessThan(20_000_000);
    expect(fast.bytes).toBeGreaterThan(20 * producedForSlow);
    expect(partsPerSecond(fast.parts)).toBeGreaterThan(1000);
  });

  it('stops on abort', async () => {
    const jpeg = await ffmpegJpeg('64x48');
    const ticking = () => {
      let timer: ReturnType<typeof setInterval>;
      return new ReadableStream<Uint8Array>({
        start(controller) {
          timer = setInterval(() => partBytes(jpeg).forEach((b) => controller.enqueue(b)), 50);
        },
        cancel: () => clearInterval(timer),
      });
    };
    const started = Date.now();
    const result = await readMjpegParts(start(ticking), { signal: AbortSignal.timeout(500) });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.parts.length).toBeGreaterThanOrEqual(5);
    expect(result.errors).toEqual([]);
  });

  it('sends the given request headers', async () => {
    let seen: Headers | undefined;
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => ((seen = request.headers), new Response('', { status: 401 })) });
    try {
      const result = await readMjpegParts(`http://127.0.0.1:${server.port}/api/stream/video?fps=2`, { headers: { Authorization: 'Bearer t0ken' }, maxParts: 1 });
      expect(result.status).toBe(401);
      expect(seen?.get('authorization')).toBe('Bearer t0ken');
    } finally {
      server.stop(true);
    }
  });

  it('rejects when nothing answers', async () => {
    const url = start(() => 'x');
    servers.pop()!.stop();
    await expect(readMjpegParts(url, { maxParts: 1 })).rejects.toThrow(/ECONNREFUSED|refused/i);
    await expect(readMjpegParts('https://127.0.0.1:1/', {})).rejects.toThrow(/plain http/);
  });
});
