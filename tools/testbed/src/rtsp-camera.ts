import { resolve } from 'node:path';
import { STAMP_SEQ_BITS } from '@cctv/frame-buffer';

const STAMP_SEQ_SPAN = 2 ** STAMP_SEQ_BITS;
const SCRIPT = resolve(import.meta.dirname, '../camera/rtsp-camera.py');
// Debian's interpreter: it has the GStreamer `gi` bindings, which a pyenv python3 on PATH lacks.
const PYTHON = process.env.TESTBED_PYTHON ?? '/usr/bin/python3';

export interface RtspCameraOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Loopback port; a free one is picked when omitted. */
  port?: number;
  path?: string;
  /** `ball` (default): a moving ball, ~10 kB JPEGs at 720p. `snow`: noise, ~270 kB JPEGs, to fill sockets fast. */
  pattern?: 'ball' | 'snow';
  /**
   * A measurable camera: every frame carries its seq and the wall-clock ms it was made in its
   * pixels (`readStamp` reads them back from any decoded picture), and `frameTimes` says when the
   * camera's encoder handed each frame on. Drawn by `camera/stamped-frames.ts` (Bun), encoded by
   * GStreamer as usual.
   */
  stamped?: boolean;
  /** With `stamped`: a clip shown under the stamp (looped), for the JPEG sizes of a real scene. */
  video?: string;
  /** Only these credentials may play (RTSP Basic auth, or Digest; 401 otherwise). `url` stays without them. */
  auth?: { user: string; password: string; method?: 'basic' | 'digest' };
  /** `h264` (default), `h265` (x265) or `mjpeg` (RTP/JPEG). Not with `stamped`. */
  codec?: 'h264' | 'h265' | 'mjpeg';
  /** Not stamped: the picture changes to `resize.width`×`resize.height` after this many frames (a new SPS mid-stream). */
  resize?: { afterFrames: number; width: number; height: number };
  /** The session timeout (s) the camera announces in its SETUP answer (RTSP's default is 60). */
  sessionTimeoutS?: number;
  /** An audio stream too (Opus), offered before the video, as many IP cameras do. */
  audio?: boolean;
  /** Not stamped: end the stream (EOS, as at the end of a recording) after this many frames. */
  endAfterFrames?: number;
}

/** When a stamped camera made a frame and when its H.264 encoder handed it on (ms since the epoch). */
export interface CameraFrameTimes {
  seq: number;
  stampedAt: number;
  encodedAt: number;
}

export interface RtspCamera {
  url: string;
  port: number;
  /** Kills the camera (SIGTERM, SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port: a camera that comes back after a power cut. */
  restart(): Promise<void>;
  /**
   * A stamped camera's times for a frame, by the seq in its stamp (the low 20 bits; the last
   * few thousand frames are kept). Undefined for other cameras or frames no viewer asked for.
   */
  frameTimes(stampSeq: number): CameraFrameTimes | undefined;
  /** The RTSP methods clients sent it so far (OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN), in order. */
  requests(): string[];
}

/** Frame times a stamped camera keeps: ~4.5 min at 15 fps. */
const FRAME_TIMES_KEPT = 4096;

/** A real RTSP camera (GStreamer's RTSP server, H.264) on 127.0.0.1, 1280×720 at 15 fps by default. */
export async function startRtspCamera(options: RtspCameraOptions = {}): Promise<RtspCamera> {
  const port = options.port ?? (await freeLoopbackPort());
  const args = [
    PYTHON, SCRIPT,
    '--port', String(port),
    '--path', options.path ?? '/stream',
    '--width', String(options.width ?? 1280),
    '--height', String(options.height ?? 720),
    '--fps', String(options.fps ?? 15),
    '--pattern', options.pattern ?? 'ball',
    ...(options.stamped ? ['--stamped', '--bun', process.execPath] : []),
    ...(options.stamped && options.video ? ['--video', options.video] : []),
    ...(options.auth ? ['--user', options.auth.user, '--password', options.auth.password, '--auth', options.auth.method ?? 'basic'] : []),
    ...(options.codec ? ['--codec', options.codec] : []),
    ...(options.resize ? ['--resize-after', String(options.resize.afterFrames), '--resize', `${options.resize.width}x${options.resize.height}`] : []),
    ...(options.sessionTimeoutS ? ['--session-timeout', String(options.sessionTimeoutS)] : []),
    ...(options.audio ? ['--audio'] : []),
    ...(options.endAfterFrames ? ['--frames', String(options.endAfterFrames)] : []),
  ];
  const times = new Map<number, CameraFrameTimes>();
  const requests: string[] = [];
  const onLine = (line: string) => {
    const request = /^REQUEST (\w+)$/.exec(line);
    if (request) requests.push(request[1]!);
    const match = /^FRAME (\d+) ([\d.]+) ([\d.]+)$/.exec(line);
    if (!match) return;
    const seq = Number(match[1]);
    times.set(seq % STAMP_SEQ_SPAN, { seq, stampedAt: Number(match[2]), encodedAt: Number(match[3]) });
    if (times.size > FRAME_TIMES_KEPT) times.delete(times.keys().next().value!);
  };
  let proc = await launchCameraProcess(args, onLine);
  const url = `rtsp://127.0.0.1:${port}${options.path ?? '/stream'}`;
  const camera: RtspCamera = {
    url,
    port,
    stop: () => stopCameraProcess(proc),
    async restart() {
      await camera.stop();
      proc = await launchCameraProcess(args, onLine);
    },
    frameTimes: (stampSeq) => times.get(stampSeq),
    requests: () => [...requests],
  };
  return camera;
}

/** SIGTERM, SIGKILL after 3 s; resolves once the camera process has exited. */
export async function stopCameraProcess(proc: Bun.Subprocess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await proc.exited;
  clearTimeout(killer);
}

/** How long the camera may take to print READY (GStreamer's first start loads its plugin registry). */
const READY_TIMEOUT_MS = 15_000;

/** Starts a camera script and waits for its READY line; `onLine` gets each later stdout line. */
export async function launchCameraProcess(args: string[], onLine: (line: string) => void): Promise<Bun.Subprocess<'ignore', 'pipe', 'pipe'>> {
  const proc = Bun.spawn(args, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let stderr = '';
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let stdout = '';
  let timedOut = false;
  const timeout = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, READY_TIMEOUT_MS);
  try {
    while (!/^READY /m.test(stdout)) {
      const { done, value } = await reader.read();
      if (done) {
        const code = await proc.exited;
        await stderrDone;
        const why = timedOut ? `printed no READY within ${READY_TIMEOUT_MS / 1000} s` : `exited (code ${code}) before it was ready`;
        throw new Error(`RTSP camera (${args.join(' ')}) ${why}:\n${stdout}${stderr}`);
      }
      stdout += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timeout);
    reader.releaseLock();
  }
  // Keep reading stdout (FRAME lines of a stamped camera), so the camera never blocks on a full pipe.
  let rest = stdout.slice(stdout.search(/^READY /m)).split('\n').slice(1).join('\n');
  void (async () => {
    for await (const chunk of proc.stdout) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
  })().catch(() => {});
  return proc;
}

/** A port nothing listens on right now (bound and released; fine on loopback in tests). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
