import { childProcesses, jpegSize, partsPerSecond, readMjpegParts, rssMb, startRtspCamera, startServer, type RtspCamera, type RunningServer } from '@cctv/testbed';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The user's story: a real RTSP camera (GStreamer, 1280×720 at 15 fps) on loopback, our server
 * pointed at it, and viewers of every kind.
 */
let camera: RtspCamera;
let server: RunningServer;

beforeAll(async () => {
  camera = await startRtspCamera({ width: 1280, height: 720, fps: 15 });
  server = await startServer({ camera_url: camera.url, target_fps: 15 });
  await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 14);
});

afterAll(async () => {
  await server?.stop();
  await camera?.stop();
});

describe('a real RTSP camera, served', () => {
  it('reaches Streaming with the camera rate and size in /api/status', async () => {
    const status = await server.get('/api/status');
    expect(status.status).toBe('Streaming');
    // The median of a few readings: one reading can catch a burst of frames at the window's edge.
    const readings: number[] = [];
    for (let i = 0; i < 5; i++, await Bun.sleep(250)) readings.push((await server.get('/api/status')).fps);
    const fps = readings.sort((a, b) => a - b)[2]!;
    // ±10 %: a 2 s window on a loaded 2-core machine sees frames bunch up by a frame interval or two.
    expect(fps).toBeGreaterThan(13.5);
    expect(fps).toBeLessThan(16.5);
    expect(status.frame_count).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(status.last_update)).toBeLessThan(2000);
    expect(status.camera).toMatchObject({ state: 'Streaming', reason: null, width: 1280, height: 720 });
  });

  it('sends a raw-socket viewer well-formed parts, each a 1280×720 JPEG', async () => {
    const result = await readMjpegParts(`${server.url}/api/stream/video`, { maxParts: 30 });
    expect(result.errors).toEqual([]);
    expect(result.headers['content-type']).toBe('multipart/x-mixed-replace; boundary=frame');
    expect(result.parts).toHaveLength(30);
    for (const part of result.parts) {
      expect(Number(part.headers['content-length'])).toBe(part.body.byteLength);
      expect(jpegSize(part.body)).toEqual({ width: 1280, height: 720 });
    }
    expect(partsPerSecond(result.parts)).toBeGreaterThan(12);
  });

  it('serves curl, as a user would run it', async () => {
    const proc = Bun.spawn(['curl', '-sN', '--max-time', '2', `${server.url}/api/stream/video`], { stdout: 'pipe' });
    const body = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
    await proc.exited;
    const text = new TextDecoder('latin1').decode(body);
    const lengths = [...text.matchAll(/--frame\r\nContent-Type: image\/jpeg\r\nContent-Length: (\d+)\r\n/g)];
    expect(lengths.length).toBeGreaterThan(20);
    // Each part's body starts right after its blank line and is exactly Content-Length bytes of JPEG.
    const first = lengths[0]!;
    const start = text.indexOf('\r\n\r\n', first.index!) + 4;
    const jpeg = body.subarray(start, start + Number(first[1]));
    expect(jpegSize(jpeg)).toEqual({ width: 1280, height: 720 });
  });

  it('serves a browser-style fetch() reader the same stream', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/stream/video`, { signal: controller.signal, headers: { Accept: 'image/avif,image/webp,*/*' } });
    expect(response.headers.get('content-type')).toBe('multipart/x-mixed-replace; boundary=frame');
    const reader = response.body!.getReader();
    let bytes = 0;
    let boundaries = 0;
    while (boundaries < 10) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      boundaries += new TextDecoder('latin1').decode(value).split('--frame\r\n').length - 1;
    }
    controller.abort();
    expect(boundaries).toBeGreaterThanOrEqual(10);
    expect(bytes).toBeGreaterThan(10 * 10_000);
  });

  it('serves the latest frame as a snapshot', async () => {
    const response = await fetch(`${server.url}/api/stream/snapshot.jpg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(jpegSize(new Uint8Array(await response.arrayBuffer()))).toEqual({ width: 1280, height: 720 });
  });

  it('fans one encode out to 50 viewers, each at the camera rate', async () => {
    const before = await server.get('/api/status');
    const results = await Promise.all(Array.from({ length: 50 }, () => readMjpegParts(`${server.url}/api/stream/video`, { durationMs: 4000, keepBodies: 0 })));
    const after = await server.get('/api/status');
    const rates = results.map((r) => partsPerSecond(r.parts)).sort((a, b) => a - b);
    expect(results.every((r) => r.errors.length === 0)).toBe(true);
    expect(rates[0]).toBeGreaterThan(12);
    // One JPEG encode per frame, not per viewer: 50 viewers for 4 s would be ~3000 encodes.
    const encodes = after.encoder.frames_encoded - before.encoder.frames_encoded;
    const frames = after.frame_count - before.frame_count;
    expect(encodes).toBe(frames);
    expect(encodes).toBeLessThan(100);
    expect(encodes).toBeGreaterThan(40);
  });

  it('caps a ?fps=2 viewer at ~2 fps while another gets 15', async () => {
    const [capped, full] = await Promise.all([
      readMjpegParts(`${server.url}/api/stream/video?fps=2`, { durationMs: 4000, keepBodies: 0 }),
      readMjpegParts(`${server.url}/api/stream/video`, { durationMs: 4000, keepBodies: 0 }),
    ]);
    expect(partsPerSecond(capped.parts)).toBeGreaterThan(1.6);
    expect(partsPerSecond(capped.parts)).toBeLessThan(2.4);
    expect(partsPerSecond(full.parts)).toBeGreaterThan(12);
  });

  it('refuses a bad ?fps with a 4xx naming the parameter, never a crash', async () => {
    for (const bad of ['abc', '0', '-5', '1000']) {
      const response = await fetch(`${server.url}/api/stream/video?fps=${bad}`);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      // A short JSON answer that names the parameter and what it takes (no stack, no schema dump).
      expect(await response.json()).toMatchObject({ parameter: 'fps', expected: 'a number from 0.1 to 60' });
    }
    expect((await server.get('/api/health')).status).toBe('healthy');
  });

  it('talks Socket.IO to the dashboard: updates on connect, and stats on request', async () => {
    const socket: Socket = io(server.url, { path: '/socket.io/', transports: ['websocket'], reconnection: false });
    try {
      const status = new Promise<any>((resolve) => socket.once('status_update', resolve));
      const firstStats = new Promise<any>((resolve) => socket.once('stats_update', resolve));
      expect(await status).toMatchObject({ status: 'Streaming', frame_count: expect.any(Number), fps: expect.any(Number) });
      expect(Object.keys(await firstStats).sort()).toEqual(['detection_count', 'fps', 'inbound', 'outbound']);
      const answered = new Promise<any>((resolve) => socket.once('stats_update', resolve));
      socket.emit('request_stats');
      expect((await answered).fps).toBeGreaterThan(12);
    } finally {
      socket.close();
    }
  });

  it('also talks Socket.IO over HTTP long-polling, as older dashboards connect', async () => {
    const socket: Socket = io(server.url, { path: '/socket.io/', transports: ['polling'], reconnection: false });
    try {
      const status = await new Promise<any>((resolve) => socket.once('status_update', resolve));
      expect(status.status).toBe('Streaming');
    } finally {
      socket.close();
    }
  });

  it('reads the camera itself and decodes through one decoder child, GStreamer where it is installed, fed on stdin: no URL on its command line', async () => {
    const children = await childProcesses(server.pid);
    const decoders = children.filter((c) => /ffmpeg|gst-launch-1\.0/.test(c.command));
    expect(decoders).toHaveLength(1);
    expect(decoders[0]!.command).toMatch(/gst-launch-1\.0 .*fdsrc fd=0 .*h264parse/);
    expect(decoders[0]!.command).not.toContain(`:${camera.port}`);
    expect((await server.get('/api/status')).camera.decoder).toBe('gstreamer');
  });

  it('reads it through ffmpeg when told to (rtsp_decoder: ffmpeg)', async () => {
    const withFfmpeg = await startServer({ camera_url: camera.url, rtsp_decoder: 'ffmpeg' });
    try {
      const status = await withFfmpeg.waitForStatus((s) => s.status === 'Streaming');
      expect(status.camera.decoder).toBe('ffmpeg');
      const decoders = (await childProcesses(withFfmpeg.pid)).filter((c) => /ffmpeg|gst-launch-1\.0/.test(c.command));
      expect(decoders.map((c) => c.command.split(' ').find((word) => /ffmpeg|gst-launch/.test(word)))).toEqual([expect.stringMatching(/ffmpeg$/)]);
    } finally {
      await withFfmpeg.stop();
    }
  });
});

describe('a viewer on a slow link', () => {
  it('loses frames itself while the others keep the full rate, and the server keeps its memory', async () => {
    // Noise makes ~270 kB JPEGs (4 MB/s), so the loopback socket buffers in front of a 10 kB/s
    // reader fill within seconds and the server has to start skipping frames for it.
    const noisy = await startRtspCamera({ width: 1280, height: 720, fps: 15, pattern: 'snow' });
    const server = await startServer({ camera_url: noisy.url, target_fps: 15 });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 14);
      const alone = await Promise.all(Array.from({ length: 3 }, () => readMjpegParts(`${server.url}/api/stream/video`, { durationMs: 3000, keepBodies: 0 })));
      const rssBefore = rssMb(server.pid);
      const slow = readMjpegParts(`${server.url}/api/stream/video`, { durationMs: 15_000, bytesPerSecond: 10_000, keepBodies: 0 });
      const dropping = await server.waitForStatus((s) => s.stream.frames_dropped > 15, 12_000);
      expect(dropping.stream.clients).toBe(1);
      const beside = await Promise.all(Array.from({ length: 3 }, () => readMjpegParts(`${server.url}/api/stream/video`, { durationMs: 3000, keepBodies: 0 })));
      const rates = (results: typeof alone) => results.map((r) => partsPerSecond(r.parts));
      for (const rate of [...rates(alone), ...rates(beside)]) expect(rate).toBeGreaterThan(12);
      const later = await server.get('/api/status');
      expect(later.stream.frames_dropped).toBeGreaterThan(dropping.stream.frames_dropped);
      expect(rssMb(server.pid) - rssBefore).toBeLessThan(60);
      expect((await slow).bytes).toBeLessThan(200_000);
    } finally {
      await server.stop();
      await noisy.stop();
    }
  });
});
