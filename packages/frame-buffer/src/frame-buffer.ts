import { RateMeter } from './rate-meter.ts';

/** One object found in a frame, in source-image pixels. */
export interface Detection {
  classId: number;
  className: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
  /** The tracked object this box belongs to, once a tracker has confirmed it (see @cctv/tracker). */
  trackId?: number | null;
}

/** An encoded video frame as every viewer receives it: the same bytes for all. */
export interface Frame {
  /** Position in this buffer, 1, 2, 3…; a gap between two frames a client saw is frames it skipped. */
  seq: number;
  jpeg: Uint8Array<ArrayBuffer>;
  width: number;
  height: number;
  /** When the source produced the frame (ms since the epoch). */
  capturedAt: number;
  /** When the JPEG was ready (ms since the epoch). */
  encodedAt: number;
  detections: readonly Detection[];
  /** The buffer's current frame rate when this frame arrived. */
  fps: number;
}

export type FrameInput = Omit<Frame, 'seq' | 'fps'>;

/** The seed's stats shape, kept so existing dashboards read it unchanged. */
export interface FrameBufferStats {
  frame_count: number;
  buffer_size: number;
  fps: number;
  /** ISO time of the newest frame, or null before the first one. */
  last_update: string | null;
}

export interface FrameBufferOptions {
  /** How many recent frames to keep (default 8). */
  ringSize?: number;
  /** Window over which fps is measured (default 2000 ms): the current rate, not an average since start. */
  fpsWindowMs?: number;
  now?: () => number;
}

export class FrameBufferClosedError extends Error {
  constructor() {
    super('frame buffer closed');
    this.name = 'FrameBufferClosedError';
  }
}

interface Waiter {
  afterSeq: number;
  resolve: (frame: Frame) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The latest frame, a short ring of recent ones, and a promise for the next one.
 * Producers `push`; consumers `await next(afterSeq)` and are woken by the push itself, never by polling.
 */
export class FrameBuffer {
  readonly #ring: Frame[] = [];
  readonly #ringSize: number;
  readonly #rate: RateMeter;
  #waiters = new Set<Waiter>();
  #seq = 0;
  #closed = false;

  constructor(options: FrameBufferOptions = {}) {
    this.#ringSize = Math.max(1, options.ringSize ?? 8);
    this.#rate = new RateMeter(options.fpsWindowMs ?? 2000, options.now ?? Date.now);
  }

  push(input: FrameInput): Frame {
    if (this.#closed) throw new FrameBufferClosedError();
    const frame: Frame = { ...input, seq: ++this.#seq, fps: this.#rate.tick() };
    this.#ring.push(frame);
    if (this.#ring.length > this.#ringSize) this.#ring.shift();
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const waiter of waiters) {
      if (waiter.afterSeq >= frame.seq) {
        this.#waiters.add(waiter);
        continue;
      }
      waiter.signal?.removeEventListener('abort', waiter.onAbort!);
      waiter.resolve(frame);
    }
    return frame;
  }

  latest(): Frame | undefined {
    return this.#ring.at(-1);
  }

  /** The recent frames, oldest first. */
  recent(): readonly Frame[] {
    return this.#ring.slice();
  }

  /**
   * The newest frame with seq > afterSeq: at once if one is there (a client that fell behind
   * skips straight to the newest), else when the next push arrives. Rejects with the signal's
   * reason on abort and with FrameBufferClosedError on close.
   */
  next(afterSeq: number, signal?: AbortSignal): Promise<Frame> {
    const latest = this.latest();
    if (latest && latest.seq > afterSeq) return Promise.resolve(latest);
    if (this.#closed) return Promise.reject(new FrameBufferClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Frame>((resolve, reject) => {
      const waiter: Waiter = { afterSeq, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.#waiters.delete(waiter);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.add(waiter);
    });
  }

  /** Consumers currently waiting for a frame. */
  get waiting(): number {
    return this.#waiters.size;
  }

  stats(): FrameBufferStats {
    const latest = this.latest();
    return {
      frame_count: this.#seq,
      buffer_size: this.#ring.length,
      fps: round2(this.#rate.rate()),
      last_update: latest ? new Date(latest.encodedAt).toISOString() : null,
    };
  }

  /** Wakes every waiter with FrameBufferClosedError; later pushes throw. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort!);
      waiter.reject(new FrameBufferClosedError());
    }
    this.#waiters.clear();
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
