export interface BackoffOptions {
  /** First delay (default 1000 ms). */
  initialMs?: number;
  /** Cap (default 60000 ms). */
  maxMs?: number;
  /** ± fraction of random spread (default 0.2), so many cameras behind one switch do not retry in lockstep. */
  jitter?: number;
  random?: () => number;
}

/** Delay before reconnect attempt `attempt` (1-based): 1 s, 2 s, 4 s … capped, with jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(max, base * (1 + jitter * (2 * random() - 1))));
}
