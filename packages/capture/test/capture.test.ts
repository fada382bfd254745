import { readdirSync, readFileSync } from 'node:fs';
import { childProcesses, freeLoopbackPort, processesMatching, startRtspCamera } from '@cctv/testbed';
import { afterEach, describe, expect, it } from 'vitest';
import { Capture, type AccessUnit, type CaptureOptions, type CaptureState, type RawFrame, type RtspDecoder } from '../src/index.ts';

function record(url: string, targetFps = 15, extra: Partial<CaptureOptions> = {}) {
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

/** Sets environment variables for one test; afterEach puts them back. */
const savedEnv = new Map<string, string | undefined>();
function setEnv(name: string, value: string): void {
  if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
  process.env[name] = value;
}
afterEach(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  savedEnv.clear();
});

const DECODER_COMMAND = { ffmpeg: /ffmpeg/, gstreamer: /gst-launch-1\.0/ } as const;

/** What @cctv/rtsp, which reads the camera for either decoder, says (checked against the test camera). */
const REASONS = {
  refused: /^connection refused by 127\.0\.0\.1:\d+$/,
  notFound: /^404 Not Found: no stream at \/nope$/,
  unauthorized: /^401 Unauthorized: wrong user name or password$/,
  cameraGone: /^the camera closed the connection$/,
} as const;

describe('Capture', () => {
  it('draws the demo scene in-process at the target rate', async () => {
    const { capture, states, frames } = record('demo:320x180', 10);
    capture.start();
    await Bun.sleep(2100);
    expect(capture.status().decoder).toBe('in-process');
    await capture.stop();
    expect(states).toEqual(['Connecting', 'Connected', 'Streaming', 'Stopped']);
    expect(capture.status().decoder).toBeNull();
    expect(frames.length).toBeGreaterThanOrEqual(19);
    expect(frames.length).toBeLessThanOrEqual(23);
    expect(frames[0]).toMatchObject({ width: 320, height: 180, seq: 1 });
    expect(frames[0]!.data.byteLength).toBe(320 * 180 * 3);
    expect(frames[0]!.data).not.toEqual(frames[5]!.data);
  });

  it('fails for good, with the reason, on a URL it cannot play', async () => {
    const { capture, states } = record('gopher://cam/1');
    capture.start();
    await capture.stop();
    expect(states).toEqual(['Failed']);
    expect(capture.status().reason).toMatch(/unsupported camera_url scheme/);
  });
});

describe.each(['ffmpeg', 'gstreamer'] as const)('Capture of an RTSP camera through %s', (decoder) => {
  const recordRtsp = (url: string, targetFps = 15, extra: Partial<CaptureOptions> = {}) => record(url, targetFps, { rtspDecoder: decoder, ...extra });
  const children = async () => (await childProcesses()).filter((p) => DECODER_COMMAND[decoder].test(p.command));

  it('decodes the video of a camera that also sends audio, at its size (odd row bytes) and rate, with one child', async () => {
    // 642 × 3 = 1926 bytes a row: GStreamer pads such rows to 1928.
    const camera = await startRtspCamera({ width: 642, height: 360, fps: 15, audio: true });
    const { capture, states, frames } = recordRtsp(camera.url);
    try {
      capture.start();
      await until(() => frames.length >= 30, 15_000, '30 frames');
      expect(states.slice(0, 3)).toEqual(['Connecting', 'Connected', 'Streaming']);
      expect(frames[0]).toMatchObject({ width: 642, height: 360 });
      expect(frames[0]!.data.byteLength).toBe(642 * 360 * 3);
      const span = frames.at(-1)!.capturedAt - frames[0]!.capturedAt;
      expect((1000 * (frames.length - 1)) / span).toBeGreaterThan(12);
      // The camera's background is RGB (0x20, 0x30, 0x40). A row cut at the wrong stride is shifted
      // by 2 bytes a row: on rows that are not a multiple of 3 its colours would be swapped.
      const frame = frames.at(-1)!;
      const background = [1, 91, 179, 271, 359].flatMap((y) => [0, 641].map((x) => [...frame.data.subarray((y * 642 + x) * 3, (y * 642 + x) * 3 + 3)]));
      const isBackground = (rgb: number[]) => Math.abs(rgb[0]! - 0x20) < 10 && Math.abs(rgb[1]! - 0x30) < 10 && Math.abs(rgb[2]! - 0x40) < 10;
      expect(background.filter(isBackground).length, JSON.stringify(background)).toBeGreaterThanOrEqual(8);
      expect(await children()).toHaveLength(1);
      expect(capture.status()).toMatchObject({ state: 'Streaming', reason: null, decoder, rtspReader: 'in-process', codec: 'avc1.42C016', width: 642, height: 360, source: camera.url });
    } finally {
      await capture.stop();
      await camera.stop();
    }
    expect(capture.status()).toMatchObject({ state: 'Stopped', decoder: null });
    expect(await children()).toEqual([]);
  });

  it('reconnects with backoff after the camera dies, and streams again when it is back', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    const { capture, states, frames } = recordRtsp(camera.url, 15, { backoff: { initialMs: 300, jitter: 0 } });
    try {
      capture.start();
      await until(() => capture.status().state === 'Streaming', 15_000, 'Streaming');
      await camera.stop();
      await until(() => capture.status().state === 'Reconnecting', 10_000, 'Reconnecting');
      expect(capture.status().reason).toMatch(REASONS.cameraGone);
      expect(capture.status().nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
      await Bun.sleep(1500); // a few failed attempts while the camera is away
      expect(capture.status().attempt).toBeGreaterThanOrEqual(2);
      expect(capture.status().reason).toMatch(REASONS.refused);
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

  it('says why a refused connection, a wrong path and a wrong password fail, and plays with the right password (percent-encoded in the URL)', async () => {
    const password = 'p@ss:w/rd!';
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, auth: { user: 'admin', password } });
    const port = await freeLoopbackPort();
    const withUser = (secret: string) => camera.url.replace('rtsp://', `rtsp://admin:${encodeURIComponent(secret)}@`);
    const cases = [
      { url: `rtsp://admin:${encodeURIComponent(password)}@127.0.0.1:${port}/x`, reason: REASONS.refused },
      { url: withUser(password).replace('/stream', '/nope'), reason: REASONS.notFound },
      { url: withUser('hunter2'), reason: REASONS.unauthorized },
    ];
    try {
      for (const { url, reason } of cases) {
        const { capture } = recordRtsp(url, 15, { backoff: { initialMs: 5000, jitter: 0 } });
        capture.start();
        try {
          await until(() => capture.status().state === 'Reconnecting', 10_000, `Reconnecting from ${url}`);
          expect(capture.status().reason).toMatch(reason);
          expect(JSON.stringify(capture.status())).not.toMatch(/hunter2|p%40ss|p@ss/);
        } finally {
          await capture.stop();
        }
      }
      const { capture, frames } = recordRtsp(withUser(password));
      capture.start();
      try {
        await until(() => frames.length >= 5, 15_000, 'frames with the right password');
        expect(capture.status().source).toBe(camera.url.replace('rtsp://', 'rtsp://admin:***@'));
      } finally {
        await capture.stop();
      }
    } finally {
      await camera.stop();
    }
  });

  it('restarts a session whose camera ended its stream (it sends nothing more: the stall watchdog ends it)', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, endAfterFrames: 45 });
    const { capture, frames } = recordRtsp(camera.url, 15, { backoff: { initialMs: 5000, jitter: 0 }, stallTimeoutMs: 2000 });
    try {
      capture.start();
      await until(() => capture.status().state === 'Reconnecting', 15_000, 'Reconnecting');
      expect(frames.length).toBeGreaterThan(20);
      expect(capture.status().reason).toMatch(/^stream stalled: no frame for [23] s$/);
    } finally {
      await capture.stop();
      await camera.stop();
    }
  });

  it('gives up on a connection that never produces video, and says so', async () => {
    // A TCP server that accepts and then says nothing: each RTSP request may take the connect timeout.
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const { capture } = recordRtsp(`rtsp://127.0.0.1:${silent.port}/x`, 15, { connectTimeoutMs: 1500, backoff: { initialMs: 200, jitter: 0 } });
    try {
      capture.start();
      await until(() => capture.status().state === 'Reconnecting', 8000, 'Reconnecting');
      expect(capture.status().reason).toBe('no answer to OPTIONS within 1.5 s');
    } finally {
      await capture.stop();
      silent.stop(true);
    }
    expect(await children()).toEqual([]);
  });

  it('restarts a stream that stalls (camera frozen, connection open), and recovers when it thaws', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    const [cameraProcess] = await processesMatching(new RegExp(`rtsp-camera.py --port ${camera.port}`));
    const { capture, frames } = recordRtsp(camera.url, 15, { stallTimeoutMs: 2000, backoff: { initialMs: 300, jitter: 0 } });
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
});

describe('Capture with GStreamer', () => {
  const freeRtspUrl = async () => `rtsp://127.0.0.1:${await freeLoopbackPort()}/x`;

  async function decoderChosen(rtspDecoder: RtspDecoder): Promise<ReturnType<Capture['status']>> {
    const { capture } = record(await freeRtspUrl(), 15, { rtspDecoder, backoff: { initialMs: 5000 } });
    capture.start();
    try {
      await until(() => capture.status().state !== 'Stopped', 10_000, 'a decoder');
      return capture.status();
    } finally {
      await capture.stop();
    }
  }

  it('auto picks GStreamer where it is installed, and ffmpeg when GST_LAUNCH_PATH points nowhere', async () => {
    expect((await decoderChosen('auto')).decoder).toBe('gstreamer');
    setEnv('GST_LAUNCH_PATH', '/nowhere/gst-launch-1.0');
    expect((await decoderChosen('auto')).decoder).toBe('ffmpeg');
  });

  it('fails for good, saying what to install, when GStreamer is asked for and cannot run', async () => {
    setEnv('GST_LAUNCH_PATH', '/nowhere/gst-launch-1.0');
    const status = await decoderChosen('gstreamer');
    expect(status).toMatchObject({ state: 'Failed', decoder: null });
    expect(status.reason).toBe(
      'GStreamer cannot play RTSP here: gst-launch-1.0 not found at /nowhere/gst-launch-1.0 (GST_LAUNCH_PATH): ' +
        'apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav',
    );
  });

  it('leaves no gst-launch-1.0 process and no open file behind, over many sessions', async () => {
    const openFds = () => {
      Bun.gc(true);
      return readdirSync('/proc/self/fd').length;
    };
    const gstChildren = async () => (await childProcesses()).filter((p) => /gst-launch-1\.0/.test(p.command));
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    try {
      // Warm up: the first session loads what stays loaded.
      const warm = record(camera.url, 15, { rtspDecoder: 'gstreamer' });
      warm.capture.start();
      await until(() => warm.frames.length >= 3, 15_000, 'frames');
      await warm.capture.stop();
      const before = openFds();

      // Sessions that stream, stopped mid-stream (frames pipe read, child killed).
      for (let i = 0; i < 4; i++) {
        const { capture, frames } = record(camera.url, 15, { rtspDecoder: 'gstreamer' });
        capture.start();
        await until(() => frames.length >= 3, 15_000, 'frames');
        expect(await gstChildren()).toHaveLength(1);
        await capture.stop();
        expect(await gstChildren()).toEqual([]);
      }
      // Sessions that fail before any frame (frames pipe never read).
      const refused = record(await freeRtspUrl(), 15, { rtspDecoder: 'gstreamer', backoff: { initialMs: 20, maxMs: 40, jitter: 0 } });
      refused.capture.start();
      await until(() => refused.capture.status().reconnects >= 10, 20_000, '10 refused sessions');
      await refused.capture.stop();

      expect(await gstChildren()).toEqual([]);
      expect(openFds()).toBeLessThanOrEqual(before + 2);
    } finally {
      await camera.stop();
    }
  });
});

describe.each(['ffmpeg', 'gstreamer'] as const)('RTSP read in-process, decoded by %s', (decoder) => {
  it('puts no URL and no password on any command line, and gives the decoder none of our CCTV_ variables', async () => {
    setEnv('CCTV_TEST_SECRET', 'token-that-must-stay-here');
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, auth: { user: 'admin', password: 'hunter2' } });
    const { capture, frames } = record(camera.url.replace('rtsp://', 'rtsp://admin:hunter2@'), 15, { rtspDecoder: decoder });
    try {
      capture.start();
      await until(() => frames.length >= 5, 15_000, 'frames');
      // Every process but the test camera itself (given the password to check it).
      const ps = Bun.spawnSync(['ps', '-eo', 'args']).stdout.toString().split('\n').filter((line) => !line.includes('rtsp-camera.py')).join('\n');
      expect(ps).toMatch(DECODER_COMMAND[decoder]);
      expect(ps).not.toContain('hunter2');
      expect(ps).not.toContain(`127.0.0.1:${camera.port}`);
      const [child] = (await childProcesses()).filter((p) => DECODER_COMMAND[decoder].test(p.command));
      const environ = readFileSync(`/proc/${child!.pid}/environ`, 'utf8').split('\0');
      expect(environ.some((entry) => entry.startsWith('PATH='))).toBe(true);
      expect(environ.filter((entry) => entry.startsWith('CCTV_'))).toEqual([]);
    } finally {
      await capture.stop();
      await camera.stop();
    }
  });

  it('hands every access unit on, with its codec parameters, also those whose frames the target rate thins out', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    const units: AccessUnit[] = [];
    const { capture, frames } = record(camera.url, 5, { rtspDecoder: decoder, onAccessUnit: (unit) => units.push(unit) });
    try {
      capture.start();
      await until(() => frames.length >= 10, 15_000, '10 frames');
      expect(units[0]).toMatchObject({ codec: 'h264', keyframe: true, parameters: { codecString: 'avc1.42C014', width: 320, height: 240 } });
      expect(units[0]!.parameters.description[0]).toBe(1); // avcC
      // 15 fps in, 5 fps of frames out: three access units a frame.
      expect(units.length / frames.length).toBeGreaterThan(2.4);
    } finally {
      await capture.stop();
      await camera.stop();
    }
  });

  it('decodes H.265, and follows a size change mid-stream with a new decoder child, without reconnecting', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, codec: 'h265', resize: { afterFrames: 30, width: 160, height: 128 } });
    const { capture, frames } = record(camera.url, 15, { rtspDecoder: decoder });
    try {
      capture.start();
      await until(() => frames.some((f) => f.width === 160) && frames.length >= 40, 20_000, 'frames at the new size');
      expect(frames[0]).toMatchObject({ width: 320, height: 240 });
      expect(frames.at(-1)).toMatchObject({ width: 160, height: 128 });
      expect(frames.at(-1)!.data.byteLength).toBe(160 * 128 * 3);
      expect(capture.status()).toMatchObject({ state: 'Streaming', reconnects: 0, width: 160, height: 128, codec: expect.stringMatching(/^hvc1\./) });
      expect((await childProcesses()).filter((p) => DECODER_COMMAND[decoder].test(p.command))).toHaveLength(1);
    } finally {
      await capture.stop();
      await camera.stop();
    }
  });

  it('hands a camera whose codec it does not read (MJPEG) to the decoder child itself', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, codec: 'mjpeg' });
    const { capture, frames } = record(camera.url, 15, { rtspDecoder: decoder });
    try {
      capture.start();
      await until(() => frames.length >= 10, 20_000, '10 frames');
      expect(capture.status()).toMatchObject({ state: 'Streaming', decoder, rtspReader: 'decoder', codec: null, width: 320, height: 240 });
    } finally {
      await capture.stop();
      await camera.stop();
    }
  });
});
