/** `connected`: the last call worked; `disconnected`: the service is unreachable or busy and we retry; `error`: it refuses us or answers nonsense (see `last_error`); `disabled`: not configured. */
export type IntegrationState = 'connected' | 'disconnected' | 'disabled' | 'error';

/** What /api/status shows for one integration (snake_case like the rest of the API). */
export interface IntegrationStatus {
  state: IntegrationState;
  /** ISO time of the last successful call, or null. */
  last_success: string | null;
  /** The last failure, secrets removed, or null once a call succeeds again. */
  last_error: string | null;
  /** Messages waiting in the outbox. */
  queued: number;
  /** Messages dropped because the outbox was full (oldest first), since the outbox file was made. */
  dropped: number;
  /** Messages the service refused for good (e.g. malformed), since the outbox file was made. */
  rejected: number;
}

/** The state of one integration, fed by its calls. */
export class Health {
  #state: IntegrationState;
  #lastSuccess: number | undefined;
  #lastError: string | null = null;
  /** Set by a refusal that retrying cannot fix; only a restart clears it. */
  #halted = false;

  constructor(enabled: boolean) {
    this.#state = enabled ? 'disconnected' : 'disabled';
  }

  get state(): IntegrationState {
    return this.#state;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  succeeded(): void {
    if (this.#state === 'disabled') return;
    this.#lastSuccess = Date.now();
    if (this.#halted) return;
    this.#state = 'connected';
    this.#lastError = null;
  }

  /** `error` for refusals and nonsense answers, `disconnected` for an unreachable or busy service. */
  failed(message: string, state: 'disconnected' | 'error'): void {
    if (this.#state === 'disabled' || this.#halted) return;
    this.#state = state;
    this.#lastError = message;
  }

  /** The service refuses us for good (credentials, chat, permissions): stays `error` until restart. */
  halted(message: string): void {
    if (this.#state === 'disabled') return;
    this.#state = 'error';
    this.#lastError = message;
    this.#halted = true;
  }

  snapshot(counts: { queued: number; dropped: number; rejected: number }): IntegrationStatus {
    return {
      state: this.#state,
      last_success: this.#lastSuccess ? new Date(this.#lastSuccess).toISOString() : null,
      last_error: this.#lastError,
      ...counts,
    };
  }
}
