import { childProcesses, processesMatching, startRtspCamera } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';
import { Capture, type CaptureState, type RawFrame } from '../src/index.ts';

function record(url: string, targetFps = 15, extra: Partial<ConstructorParameters<typeof Capture>[0]> = {}) {
  const states: CaptureState[] = [];
  const frames: RawFrame[] = [];
  const capture = new Capture({ url, targetFps, onFrame: (f) => frames.push(f), onStatus: (s) => states.push(s.state), ...extra });
  return { capture, states, frames };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

describe('Capture', () => {
  it('draws the demo scene in-process at the target rate', async () => {
    const { capture, states, frames } = record('demo:320x180', 10);
    capture.start();
    await Bun.sleep(2100);
    await capture.stop();
    expect(states).toEqual(['Connecting', 'Connected', 'Streaming', 'Stopped']);
    expect(frames.length).toBeGreaterThanOrEqual(19);
    expect(frames.length).toBeLessThanOrEqual(23);
    expect(frames[0]).toMatchObject({ width: 320, height: 180, seq: 1 });
    expect(frames[0]!.data.byteLength).toBe(320 * 180 * 3);
    expect(frames[0]!.data).not.toEqual(frames[5]!.data);
  });

  it('decodes a real RTSP camera into raw frames at its size and rate, with one ffmpeg child', async () => {
    const camera = await startRtspCamera({ width: 640, height: 360, fps: 15 });
    const { capture, states, frames } = record(camera.url);
    try {
      capture.start();
      await until(() => frames.length >= 30, 15_000, '30 frames');
      expect(states.slice(0, 3)).toEqual(['Connecting', 'Connected', 'Streaming']);
      expect(frames[0]).toMatchObject({ width: 640, height: 360 });
      const span = frames.at(-1)!.capturedAt - frames[0]!.capturedAt;
      expect((1000 * (frames.length - 1)) / span).toBeGreaterThan(12);
      expect((await childProcesses()).filter((p) => p.command.includes(camera.url) && /ffmpeg/.test(p.command))).toHaveLength(1);
      expect(capture.status()).toMatchObject({ state: 'Streaming', reason: null, width: 640, height: 360, source: camera.url });
    } finally {
      await capture.stop();
      await camera.stop();
    }
    expect(capture.status().state).toBe('Stopped');
    expect((await childProcesses()).filter((p) => /ffmpeg/.test(p.command))).toEqual([]);
  });

  it('reconnects with backoff after the camera dies, and streams again when it is back', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    const { capture, states, frames } = record(camera.url, 15, { backoff: { initialMs: 300, jitter: 0 } });
    try {
      capture.start();
      await until(() => capture.status().state === 'Streaming', 15_000, 'Streaming');
      await camera.stop();
      await until(() => capture.status().state === 'Reconnecting', 10_000, 'Reconnecting');
      expect(capture.status().reason).toBeTruthy();
      expect(capture.status().nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
      await Bun.sleep(1500); // a few failed attempts while the camera is away
      expect(capture.status().attempt).toBeGreaterThanOrEqual(2);
      await camera.restart();
      const before = frames.length;
      await until(() => capture.status().state === 'Streaming' && frames.length > before + 10, 20_000, 'Streaming again');
      expect(capture.status().reconnects).toBeGreaterThanOrEqual(2);
      expect(capture.status().attempt).toBe(0);
      expect(states.filter((s) => s === 'Reconnecting').length).toBeGreaterThanOrEqual(2);
    } finally {
      await capture.stop();
      await camera.stop();
    }
  });

  it('gives up on a connection that never produces video, and says so', async () => {
    // A TCP server that accepts and then says nothing: ffmpeg hangs on it until our watchdog acts.
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const { capture } = record(`rtsp://127.0.0.1:${silent.port}/x`, 15, { connectTimeoutMs: 1500, backoff: { initialMs: 200, jitter: 0 } });
    try {
      capture.start();
      await until(() => capture.status().state === 'Reconnecting', 8000, 'Reconnecting');
      expect(capture.status().reason).toMatch(/no video within 2 s/);
    } finally {
      await capture.stop();
      silent.stop(true);
    }
  });

  it('restarts a stream that stalls (camera frozen, connection open), and recovers when it thaws', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    const [cameraProcess] = await processesMatching(new RegExp(`rtsp-camera.py --port ${camera.port}`));
    const { capture, frames } = record(camera.url, 15, { stallTimeoutMs: 2000, backoff: { initialMs: 300, jitter: 0 } });
    try {
      capture.start();
      await until(() => capture.status().state === 'Streaming', 15_000, 'Streaming');
      process.kill(cameraProcess!.pid, 'SIGSTOP');
      await until(() => capture.status().state === 'Reconnecting', 8000, 'Reconnecting');
      expect(capture.status().reason).toMatch(/stream stalled: no frame for \d+ s/);
      process.kill(cameraProcess!.pid, 'SIGCONT');
      const before = frames.length;
      await until(() => capture.status().state === 'Streaming' && frames.length > before, 20_000, 'Streaming again');
    } finally {
      process.kill(cameraProcess!.pid, 'SIGCONT');
      await capture.stop();
      await camera.stop();
    }
  });

  it('fails for good, with the reason, on a URL it cannot play', async () => {
    const { capture, states } = record('gopher://cam/1');
    capture.start();
    await capture.stop();
    expect(states).toEqual(['Failed']);
    expect(capture.status().reason).toMatch(/unsupported camera_url scheme/);
  });
});
