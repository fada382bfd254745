import type { FromPipeline, PipelineSettings, ToPipeline } from './messages.ts';
import { stopWorker } from './stop-worker.ts';
import { startPipelineWorker } from './workers.ts';

export interface PipelineEvents {
  message(message: FromPipeline): void;
  /**
   * The Worker died on its own (a native crash, an uncaught error) and is started again in a
   * second, like a camera: `reason` for the status meanwhile; `restarted` once the new one runs,
   * to tell it again what the old one was told (who watches, the overlay, the detector's port).
   */
  crashed(reason: string): void;
  restarted(): void;
}

/** The main thread's handle on one camera's pipeline Worker (capture, overlay, encode). */
export class PipelineWorker {
  #worker: Worker | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly settings: PipelineSettings,
    private readonly events: PipelineEvents,
  ) {}

  start(): void {
    const worker = startPipelineWorker();
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromPipeline>) => this.events.message(event.data);
    let failure = '';
    worker.onerror = (event) => {
      // Bun puts a source excerpt around the message: its "error: …" line is the reason
      // (e.g. the compiled executable cannot unpack sharp's libraries), shown in the status too.
      failure = /^error: (.*)$/m.exec(event.message)?.[1] ?? event.message.split('\n')[0]!;
      this.events.message({ type: 'error', message: `pipeline worker: ${event.message}` });
    };
    worker.addEventListener('close', () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.events.crashed(`the pipeline worker stopped unexpectedly${failure ? ` (${failure})` : ''}; restarting it`);
      this.#restartTimer = setTimeout(() => {
        this.start();
        this.events.restarted();
      }, 1000);
    });
    this.post({ type: 'start', settings: this.settings });
  }

  post(message: ToPipeline, transfer: Transferable[] = []): void {
    this.#worker?.postMessage(message, transfer);
  }

  /** Stops capture (its decoder child is reaped by the Worker) and ends the Worker; bounded in time. */
  async stop(timeoutMs = 3000): Promise<void> {
    clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    await stopWorker(worker, timeoutMs);
  }
}
