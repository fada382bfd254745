import { stoppedStatus, type CaptureStatus, type RtspDecoder } from '@cctv/capture';
import { redactUrl } from '@cctv/redact';
import type { Frame, FrameBuffer } from '@cctv/frame-buffer';
import type { JpegEncoderChoice } from '@cctv/mjpeg';
import type { DetectionResult, DetectionSettings, DetectionStats, DetectionStatus, EncoderStats, FromPipeline, ToPipeline } from './messages.ts';
import { stopWorker } from './stop-worker.ts';

export interface PipelineOptions {
  url: string;
  targetFps: number;
  jpegQuality: number;
  jpegEncoder: JpegEncoderChoice;
  rtspDecoder: RtspDecoder;
  frames: FrameBuffer;
  detection: DetectionSettings;
  detectionEnabled: boolean;
  onStatus?: (status: CaptureStatus) => void;
  onDetectionStatus?: (status: DetectionStatus) => void;
  /** A new detector result, with the seq of the first served frame drawn with it. */
  onDetections?: (result: DetectionResult & { seq: number }) => void;
  onError?: (message: string) => void;
  /** The JPEG encoder the Worker chose, and why it fell back to sharp when it did. */
  onEncoder?: (name: string, fallbackReason?: string) => void;
}

/** The main thread's handle on the pipeline Worker: JPEGs in, into the FrameBuffer. */
export class Pipeline {
  #worker: Worker | undefined;
  #status: CaptureStatus;
  #encoder: EncoderStats = { name: null, framesEncoded: 0, framesSkipped: 0, encodeMs: 0 };
  #detectionEnabled: boolean;
  #detectionStatus: DetectionStatus;
  #detectionStats: DetectionStats = { fps: 0, detectMs: 0, inferMs: 0, framesDetected: 0 };
  #detections: (DetectionResult & { seq: number }) | undefined;
  #placeholder: Frame | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.#status = { ...stoppedStatus(), source: redactUrl(options.url) };
    this.#detectionEnabled = options.detectionEnabled;
    this.#detectionStatus = { state: 'off', reason: null, model: options.detection.modelPath, backend: null, layout: null, inputSize: null, classes: 0 };
  }

  get detectionStatus(): DetectionStatus {
    return this.#detectionStatus;
  }

  get detectionStats(): DetectionStats {
    return this.#detectionStats;
  }

  /** The newest detector result, with the seq of the first served frame that shows it. */
  get detections(): (DetectionResult & { seq: number }) | undefined {
    return this.#detections;
  }

  get detectionEnabled(): boolean {
    return this.#detectionEnabled;
  }

  /** Turns detection on or off while the video goes on (the model loads the first time). */
  setDetectionEnabled(enabled: boolean): void {
    this.#detectionEnabled = enabled;
    if (!enabled) this.#detections = undefined;
    this.#worker?.postMessage({ type: 'detection', enabled } satisfies ToPipeline);
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
    // smol: JavaScriptCore's small heap; measured with detection on, server RSS median 194 → 184 MB (max 211 → 197)
    // with both Workers smol, encode and detect times unchanged (their work is native).
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { smol: true });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromPipeline>) => this.#receive(event.data);
    let failure = '';
    worker.onerror = (event) => {
      // Bun puts a source excerpt around the message: its "error: …" line is the reason
      // (e.g. the compiled executable cannot unpack sharp's libraries), shown in the status too.
      failure = /^error: (.*)$/m.exec(event.message)?.[1] ?? event.message.split('\n')[0]!;
      this.options.onError?.(`pipeline worker: ${event.message}`);
    };
    // A Worker that dies on its own (a native crash, an uncaught error) is restarted, like a
    // camera: the stream comes back and the reason is in the status meanwhile.
    worker.addEventListener('close', () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const reason = `the pipeline worker stopped unexpectedly${failure ? ` (${failure})` : ''}; restarting it`;
      this.#setStatus({ ...this.#status, state: 'Reconnecting', reason, since: Date.now() });
      this.#restartTimer = setTimeout(() => this.start(), 1000);
    });
    const { url, targetFps, jpegQuality, jpegEncoder, rtspDecoder, detection } = this.options;
    const start: ToPipeline = { type: 'start', url, targetFps, jpegQuality, jpegEncoder, rtspDecoder, detection, detectionEnabled: this.#detectionEnabled };
    worker.postMessage(start);
  }

  /** Stops capture (ffmpeg is reaped by the Worker) and ends the Worker; bounded in time. */
  async stop(timeoutMs = 3000): Promise<void> {
    clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    await stopWorker(worker, timeoutMs);
  }

  #setStatus(status: CaptureStatus): void {
    this.#status = status;
    this.options.onStatus?.(status);
  }

  #receive(message: FromPipeline): void {
    switch (message.type) {
      case 'frame': {
        this.#encoder = message.encoder;
        this.#detectionStats = message.detectionStats;
        const frame = this.options.frames.push({
          jpeg: new Uint8Array(message.jpeg),
          width: message.width,
          height: message.height,
          capturedAt: message.capturedAt,
          encodedAt: message.encodedAt,
          detections: message.detections,
        });
        if (message.detection && this.#detectionEnabled) {
          this.#detections = { ...message.detection, seq: frame.seq };
          this.options.onDetections?.(this.#detections);
        }
        break;
      }
      case 'status':
        this.#setStatus(message.status);
        break;
      case 'detection-status':
        this.#detectionStatus = message.status;
        this.options.onDetectionStatus?.(message.status);
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
      case 'encoder':
        this.#encoder = { ...this.#encoder, name: message.name };
        this.options.onEncoder?.(message.name, message.fallbackReason);
        break;
      case 'error':
        this.options.onError?.(message.message);
        break;
    }
  }
}
