import { fixturePath, jpegSize, readMjpegParts, startServer } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';

const video = fixturePath('video/people-720p.mp4');
if (!video) console.warn('SKIPPED: ../shared/fixtures/video/people-720p.mp4 is missing (set SHARED_FIXTURES); the file-source test does not run');

describe('other sources', () => {
  it.skipIf(!video)('plays a video file looped at its real rate (12 s at 15 fps, watched for 15 s)', async () => {
    const server = await startServer({ camera_url: video!, target_fps: 30 });
    try {
      const first = await server.waitForStatus((s) => s.status === 'Streaming');
      await Bun.sleep(15_000);
      const later = await server.get('/api/status');
      // 15 s of a 15 fps file is ~225 frames whether or not it looped; a file read as fast as possible would give thousands.
      const frames = later.frame_count - first.frame_count;
      expect(frames).toBeGreaterThan(190);
      expect(frames).toBeLessThan(250);
      expect(later.fps).toBeGreaterThan(13);
      expect(later.fps).toBeLessThan(16.5);
      // Looping is ffmpeg's -stream_loop, not a restart after the file ended.
      expect(later.status).toBe('Streaming');
      expect(later.camera.reconnects).toBe(0);
      const parts = await readMjpegParts(`${server.url}/api/stream/video`, { maxParts: 2 });
      expect(jpegSize(parts.parts[1]!.body)).toEqual({ width: 1280, height: 720 });
    } finally {
      await server.stop();
    }
  });

  it('reads an HTTP MJPEG camera (here another instance of this server) and re-serves it', async () => {
    const camera = await startServer({ camera_url: 'demo:640x360', target_fps: 15 });
    const server = await startServer({ camera_url: `${camera.url.replace('://', '://viewer:s3cret@')}/api/stream/video`, target_fps: 15 });
    try {
      const status = await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 12);
      expect(status.camera).toMatchObject({ width: 640, height: 360, source: `http://viewer:***@127.0.0.1:${camera.port}/api/stream/video` });
      const result = await readMjpegParts(`${server.url}/api/stream/video`, { maxParts: 5 });
      expect(result.errors).toEqual([]);
      expect(jpegSize(result.parts[4]!.body)).toEqual({ width: 640, height: 360 });
      expect(server.output()).not.toContain('s3cret');
    } finally {
      await server.stop();
      await camera.stop();
    }
  });

  it('streams the built-in demo source on a machine with no ffmpeg at all', async () => {
    const server = await startServer({ camera_url: 'demo:', target_fps: 15 }, { env: { PATH: '/nonexistent', FFMPEG_PATH: '' } });
    try {
      const status = await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 12);
      expect(status.camera).toMatchObject({ width: 1280, height: 720 });
      const result = await readMjpegParts(`${server.url}/api/stream/video`, { maxParts: 10 });
      expect(result.errors).toEqual([]);
      expect(jpegSize(result.parts[0]!.body)).toEqual({ width: 1280, height: 720 });
      // A live picture: the clock and counter change every frame.
      expect(result.parts[0]!.body).not.toEqual(result.parts[9]!.body);
    } finally {
      await server.stop();
    }
  });

  it('says plainly that ffmpeg is missing when a camera needs it, and keeps serving', async () => {
    const server = await startServer({ camera_url: 'rtsp://127.0.0.1:1/x' }, { env: { PATH: '/nonexistent', FFMPEG_PATH: '' } });
    try {
      const status = await server.waitForStatus((s) => s.status === 'Failed');
      expect(status.camera.reason).toMatch(/ffmpeg not found/);
      expect((await server.get('/api/health')).status).toBe('healthy');
      expect((await fetch(`${server.url}/api/stream/snapshot.jpg`)).status).toBe(503);
    } finally {
      await server.stop();
    }
  });
});
