import { redactUrl, stoppedStatus, type CaptureStatus } from '@cctv/capture';
import type { Frame, FrameBuffer } from '@cctv/frame-buffer';
import type { EncoderStats, FromPipeline, ToPipeline } from './messages.ts';

export interface PipelineOptions {
  url: string;
  targetFps: number;
  jpegQuality: number;
  frames: FrameBuffer;
  onStatus?: (status: CaptureStatus) => void;
  onError?: (message: string) => void;
}

/** The main thread's handle on the pipeline Worker: JPEGs in, into the FrameBuffer. */
export class Pipeline {
  #worker: Worker | undefined;
  #status: CaptureStatus;
  #encoder: EncoderStats = { framesEncoded: 0, framesSkipped: 0, encodeMs: 0 };
  #placeholder: Frame | undefined;
  #stopped: (() => void) | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.#status = { ...stoppedStatus(), source: redactUrl(options.url) };
  }

  get status(): CaptureStatus {
    return this.#status;
  }

  get encoder(): EncoderStats {
    return this.#encoder;
  }

  /** What viewers see while the camera has not sent a frame yet: a card with the state and reason. */
  get placeholder(): Frame | undefined {
    return this.#placeholder;
  }

  start(): void {
    const worker = new Worker(new URL('./worker.ts', import.meta.url));
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromPipeline>) => this.#receive(event.data);
    worker.onerror = (event) => this.options.onError?.(`pipeline worker: ${event.message}`);
    // A Worker that dies on its own (a native crash, an uncaught error) is restarted, like a
    // camera: the stream comes back and the reason is in the status meanwhile.
    worker.addEventListener('close', () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#setStatus({ ...this.#status, state: 'Reconnecting', reason: 'the pipeline worker stopped unexpectedly; restarting it', since: Date.now() });
      this.#restartTimer = setTimeout(() => this.start(), 1000);
    });
    const start: ToPipeline = { type: 'start', url: this.options.url, targetFps: this.options.targetFps, jpegQuality: this.options.jpegQuality };
    worker.postMessage(start);
  }

  /** Stops capture (ffmpeg is reaped by the Worker) and ends the Worker; bounded in time. */
  async stop(timeoutMs = 3000): Promise<void> {
    clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    const stopped = new Promise<void>((resolve) => (this.#stopped = resolve));
    worker.postMessage({ type: 'stop' } satisfies ToPipeline);
    await Promise.race([stopped, Bun.sleep(timeoutMs)]);
    worker.terminate();
  }

  #setStatus(status: CaptureStatus): void {
    this.#status = status;
    this.options.onStatus?.(status);
  }

  #receive(message: FromPipeline): void {
    switch (message.type) {
      case 'frame':
        this.#encoder = message.encoder;
        this.options.frames.push({
          jpeg: new Uint8Array(message.jpeg),
          width: message.width,
          height: message.height,
          capturedAt: message.capturedAt,
          encodedAt: message.encodedAt,
          detections: [],
        });
        break;
      case 'status':
        this.#setStatus(message.status);
        break;
      case 'placeholder':
        this.#placeholder = {
          seq: 0,
          jpeg: new Uint8Array(message.jpeg),
          width: message.width,
          height: message.height,
          capturedAt: message.renderedAt,
          encodedAt: message.renderedAt,
          detections: [],
          fps: 0,
        };
        break;
      case 'stopped':
        this.#stopped?.();
        break;
      case 'error':
        this.options.onError?.(message.message);
        break;
    }
  }
}
