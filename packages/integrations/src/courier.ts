import type { Outbox, OutboxItem } from './outbox.ts';

/**
 * What to do after a failed attempt:
 * - `retry`: the service is away or busy; try again after `retryAfterMs` (what the service asked
 *   for) or the next exponential backoff step.
 * - `reject`: this item can never be accepted (e.g. a malformed message): drop it, count it, go on.
 * - `halt`: the service refuses us (bad credentials, unknown chat, no access to the sheet):
 *   keep the queue, stop sending until the next start, and say why in the status.
 */
export type Failure =
  | { kind: 'retry'; message: string; retryAfterMs?: number; uncertain: boolean }
  | { kind: 'reject'; message: string }
  | { kind: 'halt'; message: string };

export interface BackoffSettings {
  /** First retry delay, doubled after each failure up to `maxMs`. */
  initialMs: number;
  maxMs: number;
}

/** Delay before retry `attempt` (1-based), doubling up to the cap, with ±20 % jitter. */
export function retryDelay(attempt: number, { initialMs, maxMs }: BackoffSettings, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random())));
}

export interface CourierOptions<P> {
  outbox: Outbox;
  destination: string;
  /** Items sent in one request (rows can be appended together; alerts go one by one). */
  batchSize: number;
  backoff: BackoffSettings;
  send(items: OutboxItem<P>[], signal: AbortSignal): Promise<void>;
  classify(error: unknown): Failure;
  delivered(items: OutboxItem<P>[]): void;
  failed(failure: Failure, items: OutboxItem<P>[], nextAttemptInMs: number | undefined): void;
  /** How long `stop()` lets a request in flight finish before aborting it (default 2000 ms). */
  stopGraceMs?: number;
}

/**
 * Delivers one destination's outbox in order, one request at a time: the head of the queue is
 * retried until it succeeds, is rejected, or the destination halts, so nothing overtakes it.
 */
export class Courier<P = unknown> {
  #running = false;
  #halted = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #inFlight: { done: Promise<unknown>; controller: AbortController } | undefined;

  constructor(private readonly options: CourierOptions<P>) {}

  get halted(): boolean {
    return this.#halted;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** New work was queued: an idle courier sends it now (one waiting out a backoff keeps waiting). */
  wake(): void {
    this.#wake?.();
  }

  /** Lets a request in flight finish (up to the grace period), then stops. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    const inFlight = this.#inFlight;
    if (inFlight) {
      const grace = Bun.sleep(this.options.stopGraceMs ?? 2000).then(() => 'timeout' as const);
      if ((await Promise.race([inFlight.done.then(() => 'done' as const, () => 'done' as const), grace])) === 'timeout') inFlight.controller.abort(new Error('stopping'));
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { outbox, destination } = this.options;
    let attempt = 0;
    while (this.#running) {
      const items = outbox.peek<P>(destination, this.options.batchSize);
      if (items.length === 0) {
        await this.#pause();
        continue;
      }
      const ids = items.map((item) => item.id);
      outbox.sending(ids);
      const controller = new AbortController();
      const done = this.options.send(items, controller.signal);
      this.#inFlight = { done, controller };
      try {
        await done;
        // The window between the service's answer and this commit is the only one in which a
        // crash causes a resend (see README: "exactly once, and its one exception").
        outbox.delivered(destination, ids);
        attempt = 0;
        this.options.delivered(items);
      } catch (error) {
        if (controller.signal.aborted) {
          outbox.failed(ids, 'stopped while sending', true);
          return;
        }
        const failure = this.options.classify(error);
        if (failure.kind === 'reject') {
          outbox.rejected(destination, ids);
          this.options.failed(failure, items, undefined);
          continue;
        }
        if (failure.kind === 'halt') {
          outbox.failed(ids, failure.message, false);
          this.#halted = true;
          this.options.failed(failure, items, undefined);
          while (this.#running) await this.#pause();
          return;
        }
        attempt++;
        outbox.failed(ids, failure.message, failure.uncertain);
        const delay = failure.retryAfterMs ?? retryDelay(attempt, this.options.backoff);
        this.options.failed(failure, items, delay);
        await this.#pause(delay);
      } finally {
        this.#inFlight = undefined;
      }
    }
  }

  /** Waits for `wake()`/`stop()`, or `ms` when given (a backoff: `wake()` does not cut it short). */
  #pause(ms?: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.#wake === wake) self.#wake = undefined;
        resolve();
      }
      // During a backoff only stop() ends the wait early.
      const wake = ms === undefined ? done : () => (self.#running ? undefined : done());
      this.#wake = wake;
    });
  }
}
