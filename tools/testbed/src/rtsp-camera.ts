import { resolve } from 'node:path';

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
}

export interface RtspCamera {
  url: string;
  port: number;
  /** Kills the camera (SIGTERM, SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port: a camera that comes back after a power cut. */
  restart(): Promise<void>;
}

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
  ];
  let proc = await launch(args);
  const url = `rtsp://127.0.0.1:${port}${options.path ?? '/stream'}`;
  const camera: RtspCamera = {
    url,
    port,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await proc.exited;
      clearTimeout(killer);
    },
    async restart() {
      await camera.stop();
      proc = await launch(args);
    },
  };
  return camera;
}

/** How long the camera may take to print READY (GStreamer's first start loads its plugin registry). */
const READY_TIMEOUT_MS = 15_000;

async function launch(args: string[]): Promise<Bun.Subprocess<'ignore', 'pipe', 'pipe'>> {
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
  // Keep draining stdout so the camera never blocks on a full pipe.
  void proc.stdout.pipeTo(new WritableStream()).catch(() => {});
  return proc;
}

/** A port nothing listens on right now (bound and released; fine on loopback in tests). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
