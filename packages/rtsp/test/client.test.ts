import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, startRtspCamera, type RtspCameraOptions } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';
import { playRtsp, RtspError, type AccessUnit, type RtspPlayOptions, type VideoParameters } from '../src/index.ts';

/** Plays a camera until `until` holds (or 15 s), recording what comes. */
async function play(url: string, until: (units: AccessUnit[]) => boolean, options: Partial<RtspPlayOptions> = {}) {
  const units: AccessUnit[] = [];
  const parameters: VideoParameters[] = [];
  const session = await playRtsp({ url, onAccessUnit: (u) => units.push(u), onParameters: (p) => parameters.push(p), ...options });
  const deadline = Date.now() + 15_000;
  while (!until(units) && Date.now() < deadline) await Bun.sleep(50);
  return { session, units, parameters };
}

/** The RtspError a play fails with. */
async function failure(url: string, options: Partial<RtspPlayOptions> = {}): Promise<RtspError> {
  const error = await playRtsp({ url, onAccessUnit() {}, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RtspError);
  return error as RtspError;
}

async function withCamera<T>(options: RtspCameraOptions, body: (camera: Awaited<ReturnType<typeof startRtspCamera>>) => Promise<T>): Promise<T> {
  const camera = await startRtspCamera({ width: 320, height: 240, fps: 15, ...options });
  try {
    return await body(camera);
  } finally {
    await camera.stop();
  }
}

/** Counts the frames ffmpeg decodes from Annex-B bytes: a real decoder's view of what we hand on. */
async function framesDecoded(units: AccessUnit[], format: 'h264' | 'hevc'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rtsp-test-'));
  try {
    const file = join(dir, 'stream');
    writeFileSync(file, Buffer.concat(units.map((u) => u.data)));
    const proc = Bun.spawn(['ffprobe', '-v', 'error', '-f', format, '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { stdout: 'pipe' });
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    return Number(out.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('playing a camera', () => {
  it('plays the video of a camera that lists audio first: keyframe first, its size and codec, 15 access units a second, each one decodable', async () => {
    await withCamera({ width: 642, height: 360, audio: true }, async (camera) => {
      const { session, units, parameters } = await play(camera.url, (u) => u.length >= 45);
      await session.close();
      expect(await session.ended).toBeNull();
      expect(session.track).toMatchObject({ codec: 'h264', clockRate: 90000 });
      expect(parameters.map((p) => [p.codecString, p.width, p.height])).toEqual([['avc1.42C016', 642, 360]]);
      expect(units[0]!.keyframe).toBe(true);
      expect(units.filter((u) => u.keyframe).length).toBeGreaterThanOrEqual(2); // a keyframe a second
      // Media time steps one frame (1/15 s) per access unit; wall-clock arrival follows it.
      expect(units.slice(1, 45).map((u, i) => Math.round(u.timestampMs - units[i]!.timestampMs))).toEqual(new Array(44).fill(67));
      const span = units[44]!.receivedAt - units[0]!.receivedAt;
      expect(span).toBeGreaterThan(2500);
      expect(await framesDecoded(units.slice(0, 45), 'h264')).toBe(45);
    });
  });

  it('plays H.265 (RFC 7798), with an hvc1 codec string', async () => {
    await withCamera({ codec: 'h265' }, async (camera) => {
      const { session, units, parameters } = await play(camera.url, (u) => u.length >= 20);
      await session.close();
      expect(session.track.codec).toBe('h265');
      expect(parameters.map((p) => [p.codecString, p.width, p.height])).toEqual([['hvc1.1.6.L63.90', 320, 240]]);
      expect(units[0]!.keyframe).toBe(true);
      expect(await framesDecoded(units.slice(0, 20), 'hevc')).toBe(20);
    });
  });

  it('says when the parameters change mid-stream (a new size), with a keyframe at the change', async () => {
    await withCamera({ resize: { afterFrames: 25, width: 160, height: 120 } }, async (camera) => {
      const { session, units, parameters } = await play(camera.url, (u) => u.some((unit) => unit.parameters.width === 160 && unit.keyframe) && u.length >= 40);
      await session.close();
      expect(parameters.map((p) => `${p.width}x${p.height}`)).toEqual(['320x240', '160x120']);
      const first = units.findIndex((u) => u.parameters === parameters[1]);
      expect(units[first]!.keyframe).toBe(true);
      expect(units.slice(first).every((u) => u.parameters.width === 160)).toBe(true);
    });
  });

  it('keeps the session alive within the timeout the camera announces (GET_PARAMETER, as its OPTIONS lists it)', async () => {
    await withCamera({ sessionTimeoutS: 2 }, async (camera) => {
      const { session } = await play(camera.url, () => camera.requests().includes('GET_PARAMETER'));
      await session.close();
      expect(camera.requests().slice(0, 5)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'GET_PARAMETER']);
    });
  });
});

describe('what goes wrong, as values', () => {
  it.each(['basic', 'digest'] as const)('%s auth: plays with the right password, 401 with a wrong one or none, never saying the password', async (method) => {
    const password = 'p@ss:w/rd!';
    await withCamera({ auth: { user: 'admin', password, method } }, async (camera) => {
      const withPassword = (secret: string) => camera.url.replace('rtsp://', `rtsp://admin:${encodeURIComponent(secret)}@`);
      const { session, units } = await play(withPassword(password), (u) => u.length >= 5);
      await session.close();
      expect(units.length).toBeGreaterThanOrEqual(5);

      const wrong = await failure(withPassword('hunter2'));
      expect(wrong).toMatchObject({ kind: 'unauthorized', status: 401, message: '401 Unauthorized: wrong user name or password' });
      const none = await failure(camera.url);
      expect(none).toMatchObject({ kind: 'unauthorized', message: '401 Unauthorized: the camera wants a user name and password, and the URL has none' });
      for (const error of [wrong, none]) expect(`${error.message} ${error.stack}`).not.toMatch(/hunter2|p@ss|p%40ss/);
    });
  });

  it('404 on a wrong path', async () => {
    await withCamera({}, async (camera) => {
      expect(await failure(camera.url.replace('/stream', '/nope'))).toMatchObject({ kind: 'not-found', status: 404, message: '404 Not Found: no stream at /nope' });
    });
  });

  it('refused on a closed port', async () => {
    const port = await freeLoopbackPort();
    expect(await failure(`rtsp://admin:hunter2@127.0.0.1:${port}/x`)).toMatchObject({ kind: 'refused', message: `connection refused by 127.0.0.1:${port}` });
  });

  it('a timeout when the camera accepts and never answers', async () => {
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    try {
      expect(await failure(`rtsp://127.0.0.1:${silent.port}/x`, { requestTimeoutMs: 1000 })).toMatchObject({ kind: 'timeout', message: 'no answer to OPTIONS within 1 s' });
    } finally {
      silent.stop(true);
    }
  });

  it('the end of the session when the camera is killed mid-stream', async () => {
    const camera = await startRtspCamera({ width: 320, height: 240, fps: 15 });
    const { session, units } = await play(camera.url, (u) => u.length >= 10);
    await camera.stop();
    const ended = await session.ended;
    expect(ended).toMatchObject({ kind: 'closed', message: 'the camera closed the connection' });
    expect(units.length).toBeGreaterThanOrEqual(10);
  });

  it('stops when its signal is aborted, mid-connect or mid-stream', async () => {
    await withCamera({}, async (camera) => {
      const early = new AbortController();
      early.abort();
      expect(await failure(camera.url, { signal: early.signal })).toMatchObject({ kind: 'aborted' });
      const later = new AbortController();
      const { session } = await play(camera.url, (u) => u.length >= 3, { signal: later.signal });
      later.abort();
      expect(await session.ended).toBeNull();
    });
  });

  it('no video track, and a codec it does not read, say so', async () => {
    // A server that answers with a fixed SDP: an audio-only camera, then an MJPEG one.
    for (const [media, kind, message] of [
      ['m=audio 0 RTP/AVP 97\r\na=rtpmap:97 OPUS/48000/2\r\n', 'no-video', 'the camera offers no video track (its SDP lists: audio)'],
      ['m=video 0 RTP/AVP 26\r\n', 'unsupported-codec', 'the camera sends JPEG video: only H.264 and H.265 are read in-process'],
    ] as const) {
      const sdp = `v=0\r\ns=-\r\nt=0 0\r\n${media}`;
      const server = Bun.listen({
        hostname: '127.0.0.1',
        port: 0,
        socket: {
          data(socket, data) {
            const cseq = /CSeq: (\d+)/.exec(data.toString())?.[1];
            const body = data.toString().startsWith('DESCRIBE') ? sdp : '';
            socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          },
        },
      });
      try {
        expect(await failure(`rtsp://127.0.0.1:${server.port}/cam`)).toMatchObject({ kind, message });
      } finally {
        server.stop(true);
      }
    }
  });
});
