import { childProcesses, jpegSize, listProcesses, readMjpegParts, startRtspCamera, startServer } from '@cctv/testbed';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';

describe('when the camera fails', () => {
  it('goes Reconnecting when the camera dies and back to Streaming when it returns, without a restart', async () => {
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
    const server = await startServer({ camera_url: camera.url });
    try {
      await server.waitForStatus((s) => s.status === 'Streaming');
      const pid = server.pid;
      // The dashboard hears about it over Socket.IO as it happens.
      const socket: Socket = io(server.url, { path: '/socket.io/', transports: ['websocket'] });
      const pushed: string[] = [];
      socket.on('status_update', (status: { status: string }) => pushed.push(status.status));
      await new Promise((resolve) => socket.once('status_update', resolve));
      await camera.stop();
      const down = await server.waitForStatus((s) => s.status === 'Reconnecting' || s.status === 'Connecting', 15_000);
      expect(down.camera.reason).toBeTruthy();
      // The HTTP side stays up while the camera is down.
      expect((await server.get('/api/health')).status).toBe('healthy');
      await camera.restart();
      const back = await server.waitForStatus((s) => s.status === 'Streaming' && s.fps > 5, 30_000);
      expect(back.camera.reconnects).toBeGreaterThanOrEqual(1);
      expect(server.pid).toBe(pid);
      expect(server.output()).toMatch(/camera Reconnecting/);
      expect(pushed).toContain('Reconnecting');
      expect(pushed.lastIndexOf('Streaming')).toBeGreaterThan(pushed.indexOf('Reconnecting'));
      socket.close();
    } finally {
      const { code, ms } = await server.stop();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(3000);
      await camera.stop();
    }
  });

  it('says why a camera cannot be reached, with its password hidden', async () => {
    const server = await startServer({ camera_url: 'rtsp://admin:hunter2@127.0.0.1:1/stream' });
    try {
      const status = await server.waitForStatus((s) => s.status === 'Reconnecting' && s.camera.reason);
      expect(status.camera.reason).toMatch(/refused/i);
      expect(status.camera.source).toBe('rtsp://admin:***@127.0.0.1:1/stream');
      expect(JSON.stringify(status)).not.toContain('hunter2');
      expect(server.output()).not.toContain('hunter2');
    } finally {
      await server.stop();
    }
  });

  it('shows viewers a status card while the camera has never answered, and keeps their connection open', async () => {
    const server = await startServer({ camera_url: 'rtsp://admin:hunter2@127.0.0.1:1/stream', server: { stream_keepalive_s: 1 } });
    try {
      await server.waitForStatus((s) => s.status === 'Reconnecting');
      const result = await readMjpegParts(`${server.url}/api/stream/video`, { durationMs: 3500, keepBodies: 10 });
      expect(result.errors).toEqual([]);
      // Sent at once, then once a second: the viewer sees why, and no idle timeout cuts it.
      expect(result.parts.length).toBeGreaterThanOrEqual(3);
      expect(result.parts.every((p) => p.headers['x-frame-seq'] === '0')).toBe(true);
      expect(jpegSize(result.parts[0]!.body)).toEqual({ width: 1280, height: 720 });
    } finally {
      await server.stop();
    }
  });

  it('leaves no decoder behind after shutdown, nor after being killed outright', async () => {
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
    try {
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        const server = await startServer({ camera_url: camera.url });
        await server.waitForStatus((s) => s.status === 'Streaming');
        // The decoder child reads the camera's H.264 from the server on a pipe: found by pid, not by URL.
        const decoders = (await childProcesses(server.pid)).filter((c) => /(^|\/)(ffmpeg|gst-launch-1\.0) /.test(c.command));
        expect(decoders).toHaveLength(1);
        await server.stop(signal);
        // The kernel's parent-death signal reaps the decoder even when the server could not.
        const alive = async () => listProcesses().filter((p) => decoders.some((d) => d.pid === p.pid && d.command === p.command));
        const deadline = Date.now() + 3000;
        let left = await alive();
        while (left.length && Date.now() < deadline) {
          await Bun.sleep(100);
          left = await alive();
        }
        expect(left, `after ${signal}`).toEqual([]);
      }
    } finally {
      await camera.stop();
    }
  });
});
