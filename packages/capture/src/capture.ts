import { setTimeout as sleep } from 'node:timers/promises';
import { playRtsp, RtspError, type AccessUnit, type RtspSession, type VideoParameters } from '@cctv/rtsp';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { DemoScene } from './demo.ts';
import { ffmpegArgs, parentDeathPrefix, RawFrameAssembler, StderrParser } from './ffmpeg.ts';
import type { RawFrame } from './frame.ts';
import { type FrameOutput, openFrameOutput } from './frame-pipe.ts';
import { checkGstreamer, GST_FRAMES_FD, GST_LAUNCH_ENV, GstLaunchParser, gstreamerArgs, gstRgbRowBytes } from './gstreamer.ts';
import { decoderEnv, decoderInput, ffmpegDecoderArgs, gstreamerDecoderArgs } from './rtsp-decoder.ts';
import { parseSource, SourceError, type SourceKind, type SourceSpec } from './source.ts';

/** The seed's camera states. */
export type CaptureState = 'Stopped' | 'Connecting' | 'Connected' | 'Streaming' | 'Reconnecting' | 'Failed';

/** Which decoder plays rtsp:// cameras (other sources always use ffmpeg, or run in-process). */
export type RtspDecoder = 'auto' | 'gstreamer' | 'ffmpeg';

/** What runs a capture session. */
export type CaptureDecoder = 'ffmpeg' | 'gstreamer' | 'in-process';

export interface CaptureStatus {
  state: CaptureState;
  /** Why the stream is not (or was not) streaming: the decoder's own words where it gave any, redacted. */
  reason: string | null;
  /**
   * What decodes the current session, and the next attempts while Reconnecting: `ffmpeg` (an ffmpeg
   * child), `gstreamer` (a gst-launch-1.0 child: rtsp:// only), `in-process` (demo:). Null while
   * Stopped, and when it Failed before a session could start (no decoder that can run). For an
   * rtsp:// camera, `rtspReader` says who speaks RTSP.
   */
  decoder: CaptureDecoder | null;
  /**
   * Who speaks RTSP to an rtsp:// camera: `in-process` (@cctv/rtsp; the child gets H.264/H.265 on
   * its stdin, no URL), or `decoder` (the child itself, given the URL: cameras whose codec
   * @cctv/rtsp does not depacketise). Null for other sources and before the first session.
   */
  rtspReader: 'in-process' | 'decoder' | null;
  /** The camera's codec string (`avc1.64001F`, `hvc1.1.6.L93.B0`) once known, when RTSP is read in-process. */
  codec: string | null;
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
  /**
   * What decodes rtsp:// cameras. `auto` (default): GStreamer when gst-launch-1.0 and the elements
   * it needs are installed (frames ~130 ms sooner than ffmpeg 5.1, which holds ~2 frames), else
   * ffmpeg. `gstreamer` or `ffmpeg`: that one, and Failed with what to install if it cannot run.
   */
  rtspDecoder?: RtspDecoder;
  /** gst-launch-1.0 binary (default: $GST_LAUNCH_PATH, else gst-launch-1.0 on PATH); gst-inspect-1.0 is looked for beside it. */
  gstLaunchPath?: string;
  onFrame: (frame: RawFrame) => void;
  /**
   * Every access unit of an rtsp:// camera read in-process, before it is decoded (and also those
   * whose frames `targetFps` thins out of `onFrame`), with its codec parameters (codec string,
   * avcC/hvcC description, size): the compressed stream, for passthrough to browsers.
   */
  onAccessUnit?: (unit: AccessUnit) => void;
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
    decoder: null,
    rtspReader: null,
    codec: null,
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
 * One camera: runs its source (an ffmpeg or gst-launch-1.0 child, or the in-process demo scene),
 * reconnects with capped exponential backoff and jitter, restarts a stalled stream, and reports
 * status changes. Failures are states, never exceptions.
 */
export class Capture {
  readonly #options: CaptureOptions;
  readonly #targetFps: number;
  readonly #spec: SourceSpec | SourceError;
  #status: CaptureStatus;
  #stop = new AbortController();
  #running: Promise<void> | undefined;
  /** Set once the camera's codec proved one @cctv/rtsp does not depacketise: the decoder child reads RTSP itself from then on. */
  #childReadsRtsp = false;

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

  /** Stops the source and waits until its decoder child has exited. */
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
    const choice = await this.#chooseDecoder(spec);
    if ('failure' in choice) {
      this.#update({ state: 'Failed', reason: choice.failure });
      return;
    }
    if (signal.aborted) return;
    this.#status.decoder = choice.decoder;
    let sessions = 0;
    while (!signal.aborted) {
      if (sessions++ > 0) this.#status.reconnects++;
      if (spec.kind === 'rtsp') this.#status.rtspReader = this.#childReadsRtsp ? 'decoder' : 'in-process';
      this.#update({ state: 'Connecting', nextAttemptAt: null });
      const end =
        choice.decoder === 'in-process' ? await this.#runDemo(spec, signal)
        : spec.kind === 'rtsp' && !this.#childReadsRtsp ? await this.#runRtsp(spec, choice, signal)
        : choice.decoder === 'gstreamer' ? await this.#runGstreamer(spec, choice.launch, signal)
        : await this.#runFfmpeg(spec, signal);
      if (signal.aborted) break;
      if (end.permanent) {
        this.#update({ state: 'Failed', reason: end.reason, decoder: null });
        return;
      }
      const attempt = end.streamed ? 1 : this.#status.attempt + 1;
      const delay = backoffDelay(attempt, this.#options.backoff);
      this.#update({ state: 'Reconnecting', reason: end.reason, attempt, nextAttemptAt: Date.now() + delay });
      // Aborted: the loop ends just below.
      await sleep(delay, undefined, { signal }).catch(() => {});
    }
    this.#update({ state: 'Stopped', nextAttemptAt: null, decoder: null, rtspReader: null, codec: null });
  }

  /** The decoder for this source (GStreamer's availability is checked once per process). */
  async #chooseDecoder(spec: SourceSpec): Promise<{ decoder: 'in-process' } | ChildDecoder | { failure: string }> {
    if (spec.kind === 'demo') return { decoder: 'in-process' as const };
    if (spec.kind !== 'rtsp') return { decoder: 'ffmpeg' };
    const wanted = this.#options.rtspDecoder ?? 'auto';
    if (wanted === 'ffmpeg') return { decoder: 'ffmpeg' };
    if (wanted !== 'auto' && wanted !== 'gstreamer') return { failure: `rtspDecoder '${String(wanted)}': expected auto, gstreamer or ffmpeg` };
    const gstreamer = await checkGstreamer(this.#options.gstLaunchPath || process.env.GST_LAUNCH_PATH || undefined);
    if ('launch' in gstreamer) return { decoder: 'gstreamer', launch: gstreamer.launch };
    return wanted === 'gstreamer' ? { failure: `GStreamer cannot play RTSP here: ${gstreamer.missing}` } : { decoder: 'ffmpeg' };
  }

  #frameArrived(frame: RawFrame): void {
    this.#status.framesCaptured++;
    this.#status.lastFrameAt = frame.capturedAt;
    if (this.#status.state !== 'Streaming') {
      this.#update({ state: 'Streaming', reason: null, attempt: 0, width: frame.width, height: frame.height });
    } else if (frame.width !== this.#status.width || frame.height !== this.#status.height) {
      this.#update({ width: frame.width, height: frame.height });
    }
    this.#options.onFrame(frame);
  }

  #stallTimeoutMs(): number {
    if (this.#options.stallTimeoutMs) return this.#options.stallTimeoutMs;
    return Math.min(30_000, Math.max(3000, (20 * 1000) / this.#targetFps));
  }

  /**
   * An rtsp:// session read in-process: @cctv/rtsp plays the camera, each access unit goes to
   * `onAccessUnit` and into a decoder child's stdin, raw frames come back. The child is started
   * once the parameters (codec, size) are known, and replaced when the size changes mid-stream.
   * No URL and no password reach the child. A camera whose codec @cctv/rtsp does not depacketise
   * is handed to the decoder child itself, URL and all, from then on.
   */
  async #runRtsp(spec: SourceSpec, choice: ChildDecoder, signal: AbortSignal): Promise<SessionEnd> {
    const command = choice.decoder === 'gstreamer' ? choice.launch : this.#options.ffmpegPath || process.env.FFMPEG_PATH || Bun.which('ffmpeg');
    if (!command) {
      return { reason: 'ffmpeg not found: install it (apt-get install ffmpeg) or set FFMPEG_PATH', permanent: true, streamed: false };
    }
    const session = new AbortController();
    let killedFor: string | undefined;
    let resolveEnd!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnd = resolve));
    const end = (why: string) => {
      killedFor ??= why;
      session.abort();
      resolveEnd();
    };
    const onAbort = () => end('stopped');
    signal.addEventListener('abort', onAbort, { once: true });

    let streamed = false;
    let playing = false;
    let seq = 0;
    let child: DecoderChild | undefined;
    const onFrame = (frame: RawFrame) => {
      streamed = true;
      this.#frameArrived({ ...frame, seq: ++seq });
    };
    const startChild = (parameters: VideoParameters) => {
      const replaced = child;
      child = this.#startDecoderChild(choice, command, parameters, onFrame, (reason) => end(reason));
      void replaced?.stop();
    };

    const startedAt = Date.now();
    const connectTimeout = this.#options.connectTimeoutMs ?? 15_000;
    const watchdog = setInterval(() => {
      const last = this.#status.lastFrameAt;
      if (playing && !streamed && Date.now() - startedAt > connectTimeout) end(`no video within ${Math.round(connectTimeout / 1000)} s of connecting`);
      else if (streamed && last && Date.now() - last > this.#stallTimeoutMs()) end(`stream stalled: no frame for ${Math.round((Date.now() - last) / 1000)} s`);
    }, 500);

    let rtsp: RtspSession | undefined;
    try {
      rtsp = await playRtsp({
        url: spec.url,
        signal: session.signal,
        // Each step of the RTSP exchange within the connect timeout, so that a camera that accepts
        // and says nothing is named as such ("no answer to OPTIONS…").
        connectTimeoutMs: Math.min(5000, connectTimeout),
        requestTimeoutMs: Math.min(10_000, connectTimeout),
        // The stall watchdog judges a silent stream, by frames.
        idleTimeoutMs: 0,
        onParameters: (parameters) => {
          this.#status.codec = parameters.codecString;
          if (!child || child.codec !== parameters.codec || child.width !== parameters.width || child.height !== parameters.height) startChild(parameters);
        },
        onAccessUnit: (unit) => {
          this.#options.onAccessUnit?.(unit);
          child?.write(unit);
        },
      });
      playing = true;
      this.#update({ state: 'Connected' });
      void rtsp.ended.then((error) => end(error ? error.message : 'stopped'));
      await ended;
    } catch (error) {
      if (error instanceof RtspError && error.kind === 'unsupported-codec' && !signal.aborted) {
        this.#childReadsRtsp = true;
        this.#status.rtspReader = 'decoder';
        clearInterval(watchdog);
        signal.removeEventListener('abort', onAbort);
        return choice.decoder === 'gstreamer' ? this.#runGstreamer(spec, choice.launch, signal) : this.#runFfmpeg(spec, signal);
      }
      killedFor ??= error instanceof RtspError ? error.message : String(error);
    }
    clearInterval(watchdog);
    signal.removeEventListener('abort', onAbort);
    session.abort();
    await child?.stop();
    return { reason: killedFor ?? 'stopped', permanent: false, streamed };
  }

  /** A decoder child fed access units on stdin; `onFailure` with its own words if it exits or misbehaves. */
  #startDecoderChild(
    choice: ChildDecoder,
    command: string,
    parameters: VideoParameters,
    onFrame: (frame: RawFrame) => void,
    onFailure: (reason: string) => void,
  ): DecoderChild {
    const { codec, width, height } = parameters;
    const gstreamer = choice.decoder === 'gstreamer';
    let stopping = false;
    const fail = (reason: string) => {
      if (!stopping) onFailure(reason);
    };
    // GStreamer writes the frames on fd 3 (its stdout carries the -v caps), ffmpeg on its stdout.
    const frames = openFrameOutput();
    let proc: Bun.Subprocess<'pipe', 'pipe', 'pipe'>;
    try {
      proc = Bun.spawn([...parentDeathPrefix(), command, ...(gstreamer ? gstreamerDecoderArgs(codec, width, height) : ffmpegDecoderArgs(codec))], {
        stdio: gstreamer ? ['pipe', 'pipe', 'pipe', frames.stdio] : ['pipe', frames.stdio, 'pipe'],
        env: decoderEnv(gstreamer ? GST_LAUNCH_ENV : {}),
      }) as Bun.Subprocess<'pipe', 'pipe', 'pipe'>;
    } catch (error) {
      frames.close();
      queueMicrotask(() => fail(`cannot start ${choice.decoder} (${command}): ${(error as Error).message}`));
      return { codec, width, height, write() {}, stop: async () => {} };
    }
    frames.spawned(gstreamer ? (proc.stdio[GST_FRAMES_FD] as number | undefined) : (proc.stdout ?? undefined));
    const size = new FrameSizeWatch(fail);
    const report = (facts: { size?: FrameSize }) => size.report(facts.size);
    const mediaTimes = new PendingMediaTimes();
    const gstParser = gstreamer ? new GstLaunchParser(report) : undefined;
    const ffmpegParser = gstreamer ? undefined : new StderrParser(report);
    const logs = gstParser ? [readLines(proc.stdout, gstParser.stdout), readLines(proc.stderr, gstParser.stderr)] : [readLines(proc.stderr, ffmpegParser!)];
    const readFrames = (async () => {
      const known = await Promise.race([size.known, proc.exited.then(() => undefined)]);
      if (!known) return;
      await frames.read(new RawFrameAssembler(known.width, known.height, this.#targetFps, onFrame, gstreamer ? gstRgbRowBytes(known.width) : known.width * 3, () => mediaTimes.take()));
    })();
    const done = (async () => {
      const code = await proc.exited;
      await Promise.allSettled([...logs, readFrames]);
      frames.close();
      fail(gstParser ? gstParser.endReason(code) : (ffmpegParser!.facts.lastError ?? `ffmpeg exited with code ${code}`));
    })();
    return {
      codec,
      width,
      height,
      write(unit) {
        mediaTimes.add(unit.timestampMs);
        try {
          for (const part of decoderInput(codec, unit.data)) proc.stdin.write(part);
          // A full pipe makes flush() a promise, which rejects (EPIPE) if the child dies meanwhile.
          const flushed = proc.stdin.flush();
          if (flushed instanceof Promise) flushed.catch(() => {});
        } catch {
          // The child has gone: its exit says why.
        }
      },
      async stop() {
        stopping = true;
        proc.kill('SIGKILL');
        await done;
      },
    };
  }

  async #runFfmpeg(spec: SourceSpec, signal: AbortSignal): Promise<SessionEnd> {
    const ffmpeg = this.#options.ffmpegPath || process.env.FFMPEG_PATH || Bun.which('ffmpeg');
    if (!ffmpeg) {
      return { reason: 'ffmpeg not found: install it (apt-get install ffmpeg) or set FFMPEG_PATH', permanent: true, streamed: false };
    }
    const frames = openFrameOutput();
    let proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
    try {
      proc = Bun.spawn([...parentDeathPrefix(), ffmpeg, ...ffmpegArgs(spec)], { stdio: ['ignore', frames.stdio, 'pipe'], env: decoderEnv() }) as Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
    } catch (error) {
      frames.close();
      return { reason: `cannot start ffmpeg (${ffmpeg}): ${(error as Error).message}`, permanent: true, streamed: false };
    }
    frames.spawned(proc.stdout ?? undefined);
    return this.#superviseChild(proc, signal, (session) => {
      const parser = new StderrParser((facts) => session.report(facts));
      return {
        logs: [readLines(proc.stderr, parser)],
        frames,
        rowBytes: (width) => width * 3,
        endReason: (code) => parser.facts.lastError ?? (code === 0 ? 'the stream ended' : `ffmpeg exited with code ${code}`),
      };
    });
  }

  async #runGstreamer(spec: SourceSpec, launch: string, signal: AbortSignal): Promise<SessionEnd> {
    const frames = openFrameOutput();
    let proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
    try {
      proc = Bun.spawn([...parentDeathPrefix(), launch, ...gstreamerArgs(spec)], {
        // fd 3 carries the frames, so stdout is free for the -v caps that give their size.
        stdio: ['ignore', 'pipe', 'pipe', frames.stdio],
        env: decoderEnv(GST_LAUNCH_ENV),
      }) as Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
    } catch (error) {
      frames.close();
      return { reason: `cannot start gst-launch-1.0 (${launch}): ${(error as Error).message}`, permanent: true, streamed: false };
    }
    frames.spawned(proc.stdio[GST_FRAMES_FD] as number | undefined);
    return this.#superviseChild(proc, signal, (session) => {
      const parser = new GstLaunchParser((facts) => session.report(facts));
      return {
        logs: [readLines(proc.stdout, parser.stdout), readLines(proc.stderr, parser.stderr)],
        frames,
        rowBytes: gstRgbRowBytes,
        endReason: (code) => parser.endReason(code),
      };
    });
  }

  /**
   * Runs a decoder child to its end: the stop signal and the watchdogs kill it, the frames are
   * cut from its output once it has said their size, and the session ends with the kill's reason
   * or the child's own words. `wire` says how this child is read.
   */
  async #superviseChild(proc: Bun.Subprocess, signal: AbortSignal, wire: (session: ChildSession) => ChildOutput): Promise<SessionEnd> {
    let killedFor: string | undefined;
    const kill = (why: string) => {
      killedFor ??= why;
      proc.kill('SIGKILL');
    };
    const onAbort = () => kill('stopped');
    signal.addEventListener('abort', onAbort, { once: true });

    let streamed = false;
    const size = new FrameSizeWatch(kill);
    const output = wire({
      report: (facts) => {
        if (facts.connected && this.#status.state === 'Connecting') this.#update({ state: 'Connected' });
        size.report(facts.size);
      },
    });

    const startedAt = Date.now();
    const connectTimeout = this.#options.connectTimeoutMs ?? 15_000;
    const watchdog = setInterval(() => {
      const last = this.#status.lastFrameAt;
      if (!streamed && Date.now() - startedAt > connectTimeout) kill(`no video within ${Math.round(connectTimeout / 1000)} s of connecting`);
      else if (streamed && last && Date.now() - last > this.#stallTimeoutMs()) kill(`stream stalled: no frame for ${Math.round((Date.now() - last) / 1000)} s`);
    }, 500);

    const readFrames = (async () => {
      const known = await Promise.race([size.known, proc.exited.then(() => undefined)]);
      if (!known) return;
      const assembler = new RawFrameAssembler(known.width, known.height, this.#targetFps, (frame) => {
        streamed = true;
        this.#frameArrived(frame);
      }, output.rowBytes(known.width));
      await output.frames.read(assembler);
    })();

    const code = await proc.exited;
    await Promise.allSettled([...output.logs, readFrames]);
    output.frames.close();
    clearInterval(watchdog);
    signal.removeEventListener('abort', onAbort);
    return { reason: killedFor ?? output.endReason(code), permanent: false, streamed };
  }

  async #runDemo(spec: SourceSpec, signal: AbortSignal): Promise<SessionEnd> {
    const { width, height } = spec.size!;
    const scene = new DemoScene(width, height, { stamp: spec.stamp });
    this.#update({ state: 'Connected' });
    const interval = 1000 / this.#targetFps;
    const start = performance.now();
    for (let n = 0; !signal.aborted; n++) {
      // Schedule from the start time, not the previous frame, so timer lateness does not accumulate.
      await sleep(Math.max(0, start + n * interval - performance.now()), undefined, { signal }).catch(() => {});
      if (!signal.aborted) this.#frameArrived(scene.render());
    }
    return { reason: 'stopped', permanent: false, streamed: true };
  }
}

/**
 * The size a decoder child says its frames are: `known` once it first says so; a different size
 * later calls `onChange` with why, as the bytes on the pipe no longer cut into frames of the old
 * size and the child must start afresh.
 */
class FrameSizeWatch {
  readonly known: Promise<FrameSize>;
  #size: FrameSize | undefined;
  #resolve!: (size: FrameSize) => void;

  constructor(private readonly onChange: (reason: string) => void) {
    this.known = new Promise<FrameSize>((resolve) => (this.#resolve = resolve));
  }

  report(size: FrameSize | undefined): void {
    if (!size) return;
    if (!this.#size) {
      this.#size = size;
      this.#resolve(size);
    } else if (size.width !== this.#size.width || size.height !== this.#size.height) {
      this.onChange(`the picture size changed from ${this.#size.width}x${this.#size.height} to ${size.width}x${size.height}`);
    }
  }
}

interface FrameSize {
  width: number;
  height: number;
}

/** Which child decodes, and the gst-launch-1.0 to run for GStreamer. */
type ChildDecoder = { decoder: 'ffmpeg' } | { decoder: 'gstreamer'; launch: string };

/**
 * The media times of the access units a decoder child was given and has not yet returned as
 * frames. The child returns one frame per access unit, in presentation order: the earliest time
 * pending is the next frame's (access units arrive in decoding order, which B-frames reorder).
 */
class PendingMediaTimes {
  /** A child that stopped returning frames holds no more than this (~4 s at 15 fps). */
  static readonly MAX = 60;
  readonly #times: number[] = [];

  add(timestampMs: number): void {
    if (this.#times.length === PendingMediaTimes.MAX) this.#times.shift();
    this.#times.push(timestampMs);
  }

  take(): number | undefined {
    if (!this.#times.length) return undefined;
    let earliest = 0;
    for (let i = 1; i < this.#times.length; i++) if (this.#times[i]! < this.#times[earliest]!) earliest = i;
    return this.#times.splice(earliest, 1)[0];
  }
}

/** A decoder child fed access units (in-process RTSP). */
interface DecoderChild {
  codec: VideoParameters['codec'];
  width: number;
  height: number;
  write(unit: AccessUnit): void;
  /** Kills it and waits until it and its output are done. */
  stop(): Promise<void>;
}


/** What a decoder's output parser tells #superviseChild. */
interface ChildSession {
  report(facts: { connected: boolean; size?: FrameSize }): void;
}

/** How one kind of decoder child is read. */
interface ChildOutput {
  /** Its text output, read to the end. */
  logs: Promise<void>[];
  /** Its raw RGB frames (read once the size is known). */
  frames: FrameOutput;
  /** Bytes per row on `frames` for a picture this wide. */
  rowBytes(width: number): number;
  /** Why the session ended, in the child's words, once it exited with `code` (and was not killed). */
  endReason(code: number): string;
}

async function readLines(stream: ReadableStream<Uint8Array>, lines: { push(chunk: Uint8Array): void; end(): void }): Promise<void> {
  for await (const chunk of stream) lines.push(chunk);
  lines.end();
}

