import type { RawFrame } from '@cctv/capture';
import { RateMeter, type Detection } from '@cctv/frame-buffer';
import type { DetectionResult, DetectionSettings, DetectionStats, DetectionStatus, FromDetector, ToDetector } from './messages.ts';
import { stopWorker } from './stop-worker.ts';

/**
 * Detection beside the video, inside the pipeline Worker: the newest frame goes to the detection
 * Worker whenever it is idle; frames that come meanwhile are encoded with the last result and
 * never queued for detection. So slow inference lowers the detection rate, never the video rate.
 */
export class DetectionLoop {
  #worker: Worker | undefined;
  #status: DetectionStatus;
  #enabled = false;
  #busy = false;
  #lastSentAt = 0;
  /** The result frames are drawn with, and whether a frame has carried it yet. */
  #latest: DetectionResult | undefined;
  #latestShown = true;
  #nextId = 1;
  readonly #rate = new RateMeter();
  #detectMs = 0;
  #inferMs = 0;
  #framesDetected = 0;
  /** Why a fallback model runs instead of the configured one: the status reason while running. */
  #fallback: string | null = null;

  constructor(
    private readonly settings: DetectionSettings,
    private readonly onStatus: (status: DetectionStatus) => void,
  ) {
    this.#status = { state: 'off', reason: null, model: settings.modelPath, backend: null, layout: null, inputSize: null, classes: 0 };
  }

  get status(): DetectionStatus {
    return this.#status;
  }

  /** Turns detection on (loading the model the first time) or off; off draws nothing. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    if (!enabled) {
      this.#latest = undefined;
      this.#setStatus({ state: 'off', reason: null });
      return;
    }
    if (this.#worker) {
      if (this.#status.state === 'off') this.#setStatus({ state: 'running', reason: this.#fallback });
      return;
    }
    this.#load();
  }

  /** A new camera frame: a copy goes to the detector if it is idle and the rate cap allows. */
  offer(frame: RawFrame): void {
    if (!this.#enabled || this.#busy || !this.#worker || this.#status.state !== 'running') return;
    const now = performance.now();
    if (this.settings.maxFps > 0 && now - this.#lastSentAt < 1000 / this.settings.maxFps) return;
    this.#busy = true;
    this.#lastSentAt = now;
    // A copy: the frame itself is drawn on and encoded meanwhile.
    const pixels = frame.data.slice().buffer;
    this.#send({ type: 'detect', pixels, width: frame.width, height: frame.height, capturedAt: frame.capturedAt }, [pixels]);
  }

  /** The detections to draw into the next frame, and the result itself the first time it is drawn. */
  forNextFrame(): { detections: Detection[]; fresh: DetectionResult | undefined } {
    const latest = this.#latest;
    if (!latest) return { detections: [], fresh: undefined };
    const fresh = this.#latestShown ? undefined : latest;
    this.#latestShown = true;
    return { detections: latest.detections, fresh };
  }

  stats(): DetectionStats {
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return { fps: round(this.#rate.rate()), detectMs: round(this.#detectMs), inferMs: round(this.#inferMs), framesDetected: this.#framesDetected };
  }

  /** Releases the model and ends the detection Worker; bounded in time. */
  async stop(timeoutMs = 2000): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    await stopWorker(worker, timeoutMs);
  }

  #load(): void {
    this.#setStatus({ state: 'loading', reason: null });
    // smol: the small JS heap (see pipeline.ts); inference runs in ONNX Runtime's own memory.
    const worker = new Worker(new URL('./detection-worker.ts', import.meta.url), { smol: true });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromDetector>) => this.#receive(event.data);
    worker.addEventListener('close', () => {
      if (this.#worker !== worker) return;
      // A native crash in the runtime: the video goes on without boxes, and the status says why.
      this.#worker = undefined;
      this.#busy = false;
      this.#latest = undefined;
      this.#setStatus({ state: 'failed', reason: 'the detection worker stopped unexpectedly' });
    });
    this.#send({ type: 'load', settings: this.settings });
  }

  #send(message: ToDetector, transfer: Transferable[] = []): void {
    this.#worker?.postMessage(message, transfer);
  }

  #setStatus(change: Partial<DetectionStatus>): void {
    this.#status = { ...this.#status, ...change };
    this.onStatus(this.#status);
  }

  #receive(message: FromDetector): void {
    switch (message.type) {
      case 'loaded':
        this.#setStatus({
          state: this.#enabled ? 'running' : 'off',
          reason: (this.#fallback = message.fallback ?? null),
          backend: message.backend,
          layout: message.layout,
          inputSize: message.inputSize,
          classes: message.classes,
        });
        break;
      case 'load-failed':
        this.#setStatus({ state: 'failed', reason: message.reason });
        void this.stop();
        break;
      case 'detected': {
        this.#busy = false;
        this.#framesDetected++;
        this.#rate.tick();
        // Exponential averages over ~20 runs: current, not since start.
        this.#detectMs = this.#detectMs ? this.#detectMs + (message.detectMs - this.#detectMs) / 20 : message.detectMs;
        this.#inferMs = this.#inferMs ? this.#inferMs + (message.inferMs - this.#inferMs) / 20 : message.inferMs;
        if (!this.#enabled) return;
        const { capturedAt, width, height, detections } = message;
        this.#latest = { id: this.#nextId++, capturedAt, width, height, detections };
        this.#latestShown = false;
        break;
      }
      case 'detect-failed':
        this.#busy = false;
        this.#setStatus({ state: 'failed', reason: `detection failed: ${message.reason}` });
        void this.stop();
        break;
    }
  }
}
