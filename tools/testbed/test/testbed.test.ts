import { afterAll, describe, expect, it } from 'vitest';
import { childProcesses, jpegSize, processesMatching, readMjpegParts, startRtspCamera } from '../src/index.ts';

async function ffmpegJpeg(size: string): Promise<Uint8Array<ArrayBuffer>> {
  const proc = Bun.spawn(['ffmpeg', '-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1', '-f', 'mjpeg', 'pipe:1'], { stdout: 'pipe' });
  return new Uint8Array(await new Response(proc.stdout).arrayBuffer());
}

const servers: Array<{ stop(force: boolean): void }> = [];
afterAll(() => servers.forEach((s) => s.stop(true)));

function multipartServer(parts: Array<{ body: Uint8Array; length?: number }>) {
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const part of parts) {
              controller.enqueue(new TextEncoder().encode(`--b\r\nContent-Type: image/jpeg\r\nContent-Length: ${part.length ?? part.body.byteLength}\r\n\r\n`));
              controller.enqueue(part.body);
              controller.enqueue(new TextEncoder().encode('\r\n'));
            }
            controller.close();
          },
        }),
        { headers: { 'Content-Type': 'multipart/x-mixed-replace; boundary=b' } },
      ),
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}/`;
}

describe('jpegSize', () => {
  it('reads the size of a real JPEG and refuses a truncated one', async () => {
    const jpeg = await ffmpegJpeg('320x240');
    expect(jpegSize(jpeg)).toEqual({ width: 320, height: 240 });
    expect(jpegSize(jpeg.subarray(0, jpeg.length - 10))).toBeUndefined();
    expect(jpegSize(new TextEncoder().encode('not a jpeg'))).toBeUndefined();
  });
});

describe('readMjpegParts', () => {
  it('parses every part of a real multipart stream, headers and bytes', async () => {
    const jpegs = await Promise.all(['160x120', '320x240', '64x48'].map(ffmpegJpeg));
    const result = await readMjpegParts(multipartServer(jpegs.map((body) => ({ body }))), { maxParts: 3 });
    expect(result.status).toBe(200);
    expect(result.boundary).toBe('b');
    expect(result.errors).toEqual([]);
    expect(result.parts.map((p) => jpegSize(p.body))).toEqual([
      { width: 160, height: 120 },
      { width: 320, height: 240 },
      { width: 64, height: 48 },
    ]);
  });

  it('reports a part whose Content-Length is wrong', async () => {
    const jpeg = await ffmpegJpeg('64x48');
    const result = await readMjpegParts(multipartServer([{ body: jpeg, length: jpeg.byteLength - 5 }, { body: jpeg }]), { durationMs: 1000 });
    expect(result.errors.join('\n')).toMatch(/part 1: Content-Length \d+ does not end at a CRLF/);
  });

  it('reads no faster than bytesPerSecond', async () => {
    const body = new Uint8Array(100_000);
    const started = Date.now();
    const result = await readMjpegParts(multipartServer([{ body }]), { maxParts: 1, bytesPerSecond: 100_000 });
    expect(result.parts[0]!.size).toBe(100_000);
    expect(Date.now() - started).toBeGreaterThan(500);
  });
});

describe('startRtspCamera', () => {
  it('serves H.264 at the asked size that ffprobe can read, and comes back after a restart', async () => {
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 10 });
    const probe = async () => {
      const proc = Bun.spawn(['ffprobe', '-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'csv=p=0', camera.url], { stdout: 'pipe' });
      return (await new Response(proc.stdout).text()).trim();
    };
    try {
      expect(await probe()).toBe('h264,640,360,10/1');
      expect((await childProcesses()).some((p) => p.command.includes('rtsp-camera.py'))).toBe(true);
      await camera.restart();
      expect(await probe()).toBe('h264,640,360,10/1');
    } finally {
      await camera.stop();
    }
    expect(await processesMatching(new RegExp(`rtsp-camera.py --port ${camera.port}`))).toEqual([]);
  });
});
