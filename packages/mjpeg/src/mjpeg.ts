import { setTimeout as sleep } from 'node:timers/promises';
import type { Frame } from '@cctv/frame-buffer';

/** What the writer needs from a frame source: FrameBuffer satisfies it. */
export interface FrameSource {
  latest(): Frame | undefined;
  next(afterSeq: number, signal?: AbortSignal): Promise<Frame>;
}

export const MJPEG_BOUNDARY = 'frame';

/** The seed's response headers: no cache anywhere, and no proxy buffering (nginx honours X-Accel-Buffering). */
export const MJPEG_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  Expires: '0',
  'X-Accel-Buffering': 'no',
};

export interface MjpegClientOptions {
  /** Cap this client's rate (frames per second); undefined sends every frame the client can take. */
  maxFps?: number;
  /**
   * When no new frame arrives for this long, send the last one again (default 5000 ms), so
   * idle-connection limits (Bun's idleTimeout, Cloudflare's 100 s) do not cut a stalled stream.
   */
  keepaliveMs?: number;
  /** Ends the stream, e.g. the request's signal (fires when the viewer disconnects). */
  signal?: AbortSignal;
  /**
   * A picture to show while the source has no frame at all (e.g. "camera connecting", with the
   * reason), sent at once and then every keepaliveMs, so the viewer sees why and the
   * connection is not cut as idle. Its `seq` should be 0.
   */
  placeholder?: () => Frame | undefined;
}

/** Per-client counters, live while the client is connected. */
export interface MjpegClientStats {
  id: number;
  connectedAt: number;
  framesSent: number;
  /** Frames produced while connected that the client was never sent: it was behind, or capped by maxFps. */
  framesDropped: number;
  /** Frames sent again (or placeholders) to keep a stalled stream's connection open (not in framesSent). */
  keepalivesSent: number;
  bytesSent: number;
  maxFps: number | undefined;
}

let nextClientId = 1;
const encoder = new TextEncoder();

export function partHeader(frame: Frame): Uint8Array {
  return encoder.encode(
    `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.byteLength}\r\n` +
      `X-Frame-Seq: ${frame.seq}\r\nX-Timestamp: ${(frame.capturedAt / 1000).toFixed(3)}\r\n` +
      // When the JPEG was ready: with X-Timestamp, a viewer can split its latency (bench/latency.ts).
      `X-Encoded-At: ${(frame.encodedAt / 1000).toFixed(3)}\r\n\r\n`,
  );
}

const CRLF = encoder.encode('\r\n');

/**
 * Each frame's whole part (header, JPEG, CRLF) in one buffer, built once for every viewer: one
 * write per viewer and frame instead of three, and no header re-encoded per viewer (profiled
 * with 300 viewers: the writes are most of the main thread's time).
 */
const parts = new WeakMap<Frame, Uint8Array>();

function wholePart(frame: Frame): Uint8Array {
  let part = parts.get(frame);
  if (!part) {
    const head = partHeader(frame);
    part = new Uint8Array(head.byteLength + frame.jpeg.byteLength + CRLF.byteLength);
    part.set(head, 0);
    part.set(frame.jpeg, head.byteLength);
    part.set(CRLF, head.byteLength + frame.jpeg.byteLength);
    parts.set(frame, part);
  }
  return part;
}

/** The subset of Bun's direct-stream controller the writer uses. */
interface DirectController {
  write(chunk: Uint8Array): number | Promise<number>;
  flush(): number | Promise<number> | void;
  close(): void;
}

/**
 * One viewer's MJPEG stream. Each loop turn awaits the next frame, writes it and awaits the
 * write: while the socket is full the loop is parked, so a client never holds more than the
 * frame being written, and when it comes back it skips to the newest frame.
 */
export class MjpegClient {
  readonly id = nextClientId++;
  readonly connectedAt = Date.now();
  readonly maxFps: number | undefined;
  readonly #source: FrameSource;
  readonly #keepaliveMs: number;
  readonly #minIntervalMs: number;
  readonly #placeholder: (() => Frame | undefined) | undefined;
  readonly #stop = new AbortController();
  /**
   * Aborts the current wait for a frame: on close, or when the keepalive timer fires during a
   * wait. Reused from wait to wait (a new one only after it fired), and the timer is refreshed
   * rather than re-created: per-wait controllers and timers were a fifth of the main thread's
   * time with 300 viewers.
   */
  #wait = new AbortController();
  #waiting = false;
  #keepaliveTimer: ReturnType<typeof setTimeout> | undefined;
  #onClose: Array<(client: MjpegClient) => void> = [];
  #firstSeq = 0;
  #lastSentSeq = 0;
  #writingSeq = 0;
  #framesSent = 0;
  #keepalivesSent = 0;
  #bytesSent = 0;
  /** The newest seq the source had when the client closed: its drop count stops there. */
  #finalSeq: number | undefined;

  constructor(source: FrameSource, options: MjpegClientOptions = {}) {
    this.#source = source;
    this.#keepaliveMs = options.keepaliveMs ?? 5000;
    this.maxFps = options.maxFps;
    this.#placeholder = options.placeholder;
    this.#minIntervalMs = options.maxFps && options.maxFps > 0 ? 1000 / options.maxFps : 0;
    options.signal?.addEventListener('abort', () => this.close(), { once: true });
    if (options.signal?.aborted) this.close();
  }

  /**
   * Counters as of now. Dropped frames are those the source produced while this client was
   * connected that it was never sent, counted live: a client parked on a full socket shows its
   * losses while they happen, not when it wakes up.
   */
  get stats(): MjpegClientStats {
    const newest = this.#finalSeq ?? this.#source.latest()?.seq ?? 0;
    const offered = this.#firstSeq ? newest - this.#firstSeq + 1 : 0;
    // Neither the frame on its way nor the newest one (sent next) is lost yet.
    const inFlight = this.#writingSeq ? 1 : 0;
    const next = !this.closed && newest > Math.max(this.#lastSentSeq, this.#writingSeq) ? 1 : 0;
    const waiting = inFlight + next;
    return {
      id: this.id,
      connectedAt: this.connectedAt,
      framesSent: this.#framesSent,
      framesDropped: Math.max(0, offered - this.#framesSent - waiting),
      keepalivesSent: this.#keepalivesSent,
      bytesSent: this.#bytesSent,
      maxFps: this.maxFps,
    };
  }

  get closed(): boolean {
    return this.#stop.signal.aborted;
  }

  onClose(listener: (client: MjpegClient) => void): void {
    this.#onClose.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.#finalSeq = this.#source.latest()?.seq ?? 0;
    clearTimeout(this.#keepaliveTimer);
    this.#stop.abort();
    this.#wait.abort(this.#stop.signal.reason);
    for (const listener of this.#onClose) listener(this);
    this.#onClose = [];
  }

  /** The streaming body; hand it to `new Response(...)` with MJPEG_HEADERS. */
  body(): ReadableStream<Uint8Array> {
    return new ReadableStream({
      type: 'direct',
      pull: (controller: DirectController) => this.#run(controller),
      cancel: () => this.close(),
    } as unknown as UnderlyingDefaultSource<Uint8Array>);
  }

  async #run(controller: DirectController): Promise<void> {
    const signal = this.#stop.signal;
    const latest = this.#source.latest();
    // Start from the newest frame, so a new viewer sees a picture at once.
    let lastSeq = latest ? latest.seq - 1 : 0;
    // -Infinity, not 0: performance.now() starts near 0, and a capped viewer of a young process would wait a whole interval for its first frame.
    let lastSentAt = -Infinity;
    try {
      const placeholder = latest ? undefined : this.#placeholder?.();
      if (placeholder) {
        await this.#write(controller, placeholder);
        this.#keepalivesSent++;
      }
      while (!signal.aborted) {
        if (this.#minIntervalMs > 0) {
          const wait = lastSentAt + this.#minIntervalMs - performance.now();
          // Aborted: the loop ends just below.
          if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
        }
        const frame = await this.#nextOrKeepalive(lastSeq);
        if (signal.aborted) break;
        if (!frame) continue;
        const keepalive = frame.seq === lastSeq;
        lastSeq = frame.seq;
        lastSentAt = performance.now();
        if (keepalive) {
          await this.#write(controller, frame);
          this.#keepalivesSent++;
          continue;
        }
        this.#firstSeq ||= frame.seq;
        this.#writingSeq = frame.seq;
        await this.#write(controller, frame);
        this.#writingSeq = 0;
        this.#lastSentSeq = frame.seq;
        this.#framesSent++;
      }
    } catch {
      // Whatever ended this loop (the viewer left mid-write, the source closed at shutdown)
      // ends this viewer's stream and nothing else: there is no one to report it to.
    } finally {
      this.close();
      try {
        controller.close();
      } catch {
        // Already closed by the peer going away.
      }
    }
  }

  async #write(controller: DirectController, frame: Frame): Promise<void> {
    const part = wholePart(frame);
    const pending = controller.write(part);
    if (pending instanceof Promise) await pending;
    const flushed = controller.flush();
    if (flushed instanceof Promise) await flushed;
    this.#bytesSent += part.byteLength;
  }

  /**
   * The next frame after lastSeq. When none comes within keepaliveMs: the last frame again, or,
   * before the source has had any frame, the placeholder (undefined when there is none either).
   */
  async #nextOrKeepalive(lastSeq: number): Promise<Frame | undefined> {
    const latest = this.#source.latest();
    if (latest && latest.seq > lastSeq) return latest;
    if (this.#keepaliveTimer) this.#keepaliveTimer.refresh();
    else this.#keepaliveTimer = setTimeout(() => this.#waiting && this.#wait.abort(KEEPALIVE), this.#keepaliveMs);
    this.#waiting = true;
    try {
      return await this.#source.next(lastSeq, this.#wait.signal);
    } catch (error) {
      if (error !== KEEPALIVE) throw error;
      this.#wait = new AbortController();
      return this.#source.latest() ?? this.#placeholder?.();
    } finally {
      this.#waiting = false;
    }
  }
}

const KEEPALIVE = Symbol('keepalive');

/** A streaming MJPEG Response for one viewer; `client.stats` counts what it was sent and skipped. */
export function mjpegResponse(source: FrameSource, options: MjpegClientOptions = {}): { response: Response; client: MjpegClient } {
  const client = new MjpegClient(source, options);
  return { response: new Response(client.body(), { headers: MJPEG_HEADERS }), client };
}
