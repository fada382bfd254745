import type { DetectionFilters, DetectionResult, FromDetector, ModelSettings, ModelStatus, ToDetector } from './pipeline/messages.ts';
import { stopWorker } from './pipeline/stop-worker.ts';
import { startDetectionWorker } from './pipeline/workers.ts';

/** A camera as the detectors see it: its model and filters, and how to reach its pipeline. */
export interface DetectionClient {
  readonly id: string;
  readonly model: ModelSettings;
  readonly filters: DetectionFilters;
  /** At most this many detections per second for this camera; 0: as many as its turns allow. */
  readonly maxFps: number;
  /** Hands the camera's pipeline Worker its end of the port to the model's Worker (null: none). */
  connect(port: MessagePort | null): void;
  /** Asks the camera's pipeline Worker to send its newest frame on that port. */
  requestFrame(): void;
  result(result: DetectionResult): void;
  /** The model's state changed (loading, running, failed), or a run on this camera's frame failed. */
  modelStatus(status: ModelStatus): void;
}

/** The model a client uses: cameras with the same file and load settings share one Worker. */
function modelKey(model: ModelSettings): string {
  return JSON.stringify([model.modelPath, model.backend, model.labelsPath ?? null, model.threads, model.executionProviders]);
}

/**
 * Inference is the scarce resource: each model is loaded once, in a Worker of its own, and its
 * cameras take turns. When the model is free, the camera that has waited longest since its last
 * turn, among those with a frame it has not had analysed, sends its newest frame. So every
 * camera gets an equal share, a slow model lowers every camera's detection rate alike, and no
 * frame ever waits in a queue (it would be stale by its turn).
 */
export class Detectors {
  readonly #models = new Map<string, ModelRunner>();

  /** Starts detection for a camera: its model loads if no other camera uses it yet. */
  attach(client: DetectionClient): void {
    const key = modelKey(client.model);
    let runner = this.#models.get(key);
    if (!runner) {
      runner = new ModelRunner(client.model, () => this.#models.delete(key));
      this.#models.set(key, runner);
    }
    runner.attach(client);
  }

  /** Stops detection for a camera; a model no camera uses any more is unloaded. */
  detach(client: DetectionClient): void {
    this.#models.get(modelKey(client.model))?.detach(client);
  }

  /** The camera has a frame it has not had analysed. */
  frameReady(client: DetectionClient): void {
    this.#models.get(modelKey(client.model))?.frameReady(client);
  }

  /** Models loaded now, for the banner and the log. */
  get loaded(): number {
    return this.#models.size;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#models.values()].map((runner) => runner.stop()));
    this.#models.clear();
  }
}

interface Turn {
  client: DetectionClient;
  /** A frame has come since this camera's last turn. */
  waiting: boolean;
  lastTurnAt: number;
}

/** One model's Worker and the turns of its cameras. */
class ModelRunner {
  readonly #worker: Worker;
  readonly #turns = new Map<string, Turn>();
  #status: ModelStatus;
  /** The camera whose frame is being analysed. */
  #busyWith: string | undefined;
  #stopped = false;

  constructor(
    readonly settings: ModelSettings,
    private readonly onUnused: () => void,
  ) {
    this.#status = { state: 'loading', reason: null, model: settings.modelPath, backend: null, layout: null, inputSize: null, classes: 0 };
    this.#worker = startDetectionWorker();
    this.#worker.onmessage = (event: MessageEvent<FromDetector>) => this.#receive(event.data);
    this.#worker.addEventListener('close', () => {
      if (this.#stopped) return;
      // A native crash in the runtime: the video goes on without boxes, and the status says why.
      this.#setStatus({ state: 'failed', reason: 'the detection worker stopped unexpectedly' });
    });
    this.#send({ type: 'load', settings });
  }

  attach(client: DetectionClient): void {
    this.detach(client);
    const channel = new MessageChannel();
    this.#turns.set(client.id, { client, waiting: false, lastTurnAt: 0 });
    this.#send({ type: 'attach', camera: client.id, filters: client.filters, port: channel.port2 }, [channel.port2]);
    client.connect(channel.port1);
    client.modelStatus(this.#status);
  }

  detach(client: DetectionClient): void {
    if (!this.#turns.delete(client.id)) return;
    this.#send({ type: 'detach', camera: client.id });
    client.connect(null);
    if (this.#busyWith === client.id) this.#busyWith = undefined;
    if (this.#turns.size === 0) {
      this.onUnused();
      void this.stop();
      return;
    }
    this.#next();
  }

  frameReady(client: DetectionClient): void {
    const turn = this.#turns.get(client.id);
    if (!turn) return;
    turn.waiting = true;
    this.#next();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await stopWorker(this.#worker, 2000);
  }

  /** The next turn, when the model is free: the camera that has waited longest, with a new frame, and under its max_fps. */
  #next(): void {
    if (this.#busyWith !== undefined || this.#status.state !== 'running') return;
    const now = performance.now();
    let chosen: Turn | undefined;
    for (const turn of this.#turns.values()) {
      if (!turn.waiting) continue;
      if (turn.client.maxFps > 0 && now - turn.lastTurnAt < 1000 / turn.client.maxFps) continue;
      if (!chosen || turn.lastTurnAt < chosen.lastTurnAt) chosen = turn;
    }
    if (!chosen) {
      this.#wakeForCappedCameras(now);
      return;
    }
    chosen.waiting = false;
    chosen.lastTurnAt = now;
    this.#busyWith = chosen.client.id;
    chosen.client.requestFrame();
  }

  /** Cameras held back only by their max_fps get their turn when their interval has passed. */
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeForCappedCameras(now: number): void {
    let soonest = Infinity;
    for (const turn of this.#turns.values()) if (turn.waiting && turn.client.maxFps > 0) soonest = Math.min(soonest, turn.lastTurnAt + 1000 / turn.client.maxFps - now);
    if (soonest === Infinity || this.#wakeTimer) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#next();
    }, Math.max(1, soonest));
  }

  #send(message: ToDetector, transfer: Transferable[] = []): void {
    if (!this.#stopped) this.#worker.postMessage(message, transfer);
  }

  #setStatus(change: Partial<ModelStatus>): void {
    this.#status = { ...this.#status, ...change };
    for (const { client } of this.#turns.values()) client.modelStatus(this.#status);
    this.#next();
  }

  #receive(message: FromDetector): void {
    switch (message.type) {
      case 'loaded':
        this.#setStatus({
          state: 'running',
          reason: message.fallback ?? null,
          backend: message.backend,
          layout: message.layout,
          inputSize: message.inputSize,
          classes: message.classes,
        });
        break;
      case 'load-failed':
        this.#setStatus({ state: 'failed', reason: message.reason });
        break;
      case 'detected': {
        if (this.#busyWith === message.camera) this.#busyWith = undefined;
        const { type: _type, camera, ...result } = message;
        this.#turns.get(camera)?.client.result(result);
        this.#next();
        break;
      }
      case 'skipped':
        if (this.#busyWith === message.camera) this.#busyWith = undefined;
        this.#next();
        break;
      case 'detect-failed': {
        if (this.#busyWith === message.camera) this.#busyWith = undefined;
        // A frame the model cannot take (e.g. a class this camera filters on that the model lacks):
        // that camera's detection fails; the others go on.
        const client = this.#turns.get(message.camera)?.client;
        if (!client) break;
        this.detach(client);
        client.modelStatus({ ...this.#status, state: 'failed', reason: `detection failed: ${message.reason}` });
        break;
      }
    }
  }
}
