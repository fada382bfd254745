import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { DemoScene } from './demo.ts';
import { ffmpegArgs, parentDeathPrefix, RawFrameAssembler, StderrParser } from './ffmpeg.ts';
import type { RawFrame } from './frame.ts';
import { parseSource, SourceError, type SourceKind, type SourceSpec } from './source.ts';

/** The seed's camera states. */
export type CaptureState = 'Stopped' | 'Connecting' | 'Connected' | 'Streaming' | 'Reconnecting' | 'Failed';

export interface CaptureStatus {
  state: CaptureState;
  /** Why the stream is not (or was not) streaming: ffmpeg's own words where it gave any, redacted. */
  reason: string | null;
  /** The camera URL with its password replaced by `***`. */
  source: string;
  kind: SourceKind | null;
  /** When the current state began (ms since the epoch). */
  since: number;
  /** Failed attempts in a row; 0 once frames flow. */
  attempt: number;
  /** Sessions started after the first one. */
  reconnects: number;
  /** When the next connection attempt is due, while Reconnecting. */
  nextAttemptAt: number | null;
  width: number | null;
  height: number | null;
  framesCaptured: number;
  lastFrameAt: number | null;
}

export interface CaptureOptions {
  /** rtsp://…, http(s)://… (MJPEG), a file path (looped at its real rate), /dev/videoN, or demo:[WxH]. */
  url: string;
  /** Frames per second handed on; faster sources are thinned (default 15). */
  targetFps?: number;
  /** ffmpeg binary (default: $FFMPEG_PATH, else ffmpeg on PATH). */
  ffmpegPath?: string;
  onFrame: (frame: RawFrame) => void;
  onStatus?: (status: CaptureStatus) => void;
  backoff?: BackoffOptions;
  /** Give up on a connection attempt that has produced no frame after this long (default 15000 ms). */
  connectTimeoutMs?: number;
  /** Restart a stream silent for this long (default: 20 frame intervals, between 3 and 30 s). */
  stallTimeoutMs?: number;
}

/** The status of a capture that has not started. */
export function stoppedStatus(): CaptureStatus {
  return {
    state: 'Stopped',
    reason: null,
    source: '',
    kind: null,
    since: Date.now(),
    attempt: 0,
    reconnects: 0,
    nextAttemptAt: null,
    width: null,
    height: null,
    framesCaptured: 0,
    lastFrameAt: null,
  };
}

interface SessionEnd {
  reason: string;
  /** Retrying cannot help (no ffmpeg, a URL we cannot read). */
  permanent: boolean;
  /** Frames flowed in this session, so the next failure starts the backoff afresh. */
  streamed: boolean;
}

/**
 * One camera: runs its source (an ffmpeg child, or the in-process demo scene), reconnects with
 * capped exponential backoff and jitter, restarts a stalled stream, and reports status changes.
 * Failures are states, never exceptions.
 */
export class Capture {
  readonly #options: CaptureOptions;
  readonly #targetFps: number;
  readonly #spec: SourceSpec | SourceError;
  #status: CaptureStatus;
  #stop = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: CaptureOptions) {
    this.#options = options;
    this.#targetFps = options.targetFps ?? 15;
    let spec: SourceSpec | SourceError;
    try {
      spec = parseSource(options.url);
    } catch (error) {
      spec = error instanceof SourceError ? error : new SourceError(String(error));
    }
    this.#spec = spec;
    this.#status = {
      ...stoppedStatus(),
      source: spec instanceof SourceError ? '(invalid)' : spec.redacted,
      kind: spec instanceof SourceError ? null : spec.kind,
    };
  }

  status(): CaptureStatus {
    return { ...this.#status };
  }

  start(): void {
    if (this.#running) return;
    this.#stop = new AbortController();
    this.#running = this.#run(this.#stop.signal);
  }

  /** Stops the source and waits until its ffmpeg child has exited. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.#running = undefined;
  }

  #update(change: Partial<CaptureStatus>): void {
    const stateChanged = change.state !== undefined && change.state !== this.#status.state;
    this.#status = { ...this.#status, ...change, ...(stateChanged ? { since: Date.now() } : {}) };
    if (stateChanged || change.reason !== undefined) this.#options.onStatus?.(this.status());
  }

  async #run(signal: AbortSignal): Promise<void> {
    const spec = this.#spec;
    if (spec instanceof SourceError) {
      this.#update({ state: 'Failed', reason: spec.message });
      return;
    }
    let sessions = 0;
    while (!signal.aborted) {
      if (sessions++ > 0) this.#status.reconnects++;
      this.#update({ state: 'Connecting', nextAttemptAt: null });
      const end = spec.kind === 'demo' ? await this.#runDemo(spec, signal) : await this.#runFfmpeg(spec, signal);
      if (signal.aborted) break;
      if (end.permanent) {
        this.#update({ state: 'Failed', reason: end.reason });
        return;
      }
      const attempt = end.streamed ? 1 : this.#status.attempt + 1;
      const delay = backoffDelay(attempt, this.#options.backoff);
      this.#update({ state: 'Reconnecting', reason: end.reason, attempt, nextAttemptAt: Date.now() + delay });
      await sleep(delay, signal);
    }
    this.#update({ state: 'Stopped', nextAttemptAt: null });
  }

  #frameArrived(frame: RawFrame): void {
    this.#status.framesCaptured++;
    this.#status.lastFrameAt = frame.capturedAt;
    if (this.#status.state !== 'Streaming') {
      this.#update({ state: 'Streaming', reason: null, attempt: 0, width: frame.width, height: frame.height });
    }
    this.#options.onFrame(frame);
  }

  #stallTimeoutMs(): number {
    if (this.#options.stallTimeoutMs) return this.#options.stallTimeoutMs;
    return Math.min(30_000, Math.max(3000, (20 * 1000) / this.#targetFps));
  }

  async #runFfmpeg(spec: SourceSpec, signal: AbortSignal): Promise<SessionEnd> {
    const ffmpeg = this.#options.ffmpegPath || process.env.FFMPEG_PATH || Bun.which('ffmpeg');
    if (!ffmpeg) {
      return { reason: 'ffmpeg not found: install it (apt-get install ffmpeg) or set FFMPEG_PATH', permanent: true, streamed: false };
    }
    let proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
    try {
      proc = Bun.spawn([...parentDeathPrefix(), ffmpeg, ...ffmpegArgs(spec)], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    } catch (error) {
      return { reason: `cannot start ffmpeg (${ffmpeg}): ${(error as Error).message}`, permanent: true, streamed: false };
    }
    let killedFor: string | undefined;
    const kill = (why: string) => {
      killedFor ??= why;
      proc.kill('SIGKILL');
    };
    const onAbort = () => kill('stopped');
    signal.addEventListener('abort', onAbort, { once: true });

    let streamed = false;
    let resolveSize!: (size: { width: number; height: number }) => void;
    const sizeKnown = new Promise<{ width: number; height: number }>((resolve) => (resolveSize = resolve));
    const parser = new StderrParser((facts) => {
      if (facts.connected && this.#status.state === 'Connecting') this.#update({ state: 'Connected' });
      if (facts.size) resolveSize(facts.size);
    });

    const startedAt = Date.now();
    const connectTimeout = this.#options.connectTimeoutMs ?? 15_000;
    const watchdog = setInterval(() => {
      const last = this.#status.lastFrameAt;
      if (!streamed && Date.now() - startedAt > connectTimeout) kill(`no video within ${Math.round(connectTimeout / 1000)} s of connecting`);
      else if (streamed && last && Date.now() - last > this.#stallTimeoutMs()) kill(`stream stalled: no frame for ${Math.round((Date.now() - last) / 1000)} s`);
    }, 500);

    const readStderr = (async () => {
      for await (const chunk of proc.stderr) parser.push(chunk);
      parser.end();
    })();
    const readStdout = (async () => {
      const reader = proc.stdout.getReader();
      const size = await Promise.race([sizeKnown, proc.exited.then(() => undefined)]);
      if (!size) return;
      const assembler = new RawFrameAssembler(size.width, size.height, this.#targetFps, (frame) => {
        streamed = true;
        this.#frameArrived(frame);
      });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        assembler.push(value);
      }
    })();

    const code = await proc.exited;
    await Promise.allSettled([readStderr, readStdout]);
    clearInterval(watchdog);
    signal.removeEventListener('abort', onAbort);
    const reason = killedFor ?? parser.facts.lastError ?? (code === 0 ? 'the stream ended' : `ffmpeg exited with code ${code}`);
    return { reason, permanent: false, streamed };
  }

  async #runDemo(spec: SourceSpec, signal: AbortSignal): Promise<SessionEnd> {
    const { width, height } = spec.size!;
    const scene = new DemoScene(width, height, { stamp: spec.stamp });
    this.#update({ state: 'Connected' });
    const interval = 1000 / this.#targetFps;
    const start = performance.now();
    for (let n = 0; !signal.aborted; n++) {
      // Schedule from the start time, not the previous frame, so timer lateness does not accumulate.
      await sleep(start + n * interval - performance.now(), signal);
      if (!signal.aborted) this.#frameArrived(scene.render());
    }
    return { reason: 'stopped', permanent: false, streamed: true };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
