/**
 * Events per second over a sliding window: the current rate, not an average since start.
 * Used for the video rate (FrameBuffer) and the detection rate alike.
 */
export class RateMeter {
  /** Event times within the window, oldest first. */
  readonly #times: number[] = [];

  constructor(
    private readonly windowMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event now and returns the rate including it. */
  tick(): number {
    const now = this.now();
    this.#times.push(now);
    return this.#rateAt(now);
  }

  /** The rate now; it decays to 0 once events stop. */
  rate(): number {
    return this.#rateAt(this.now());
  }

  #rateAt(now: number): number {
    const oldest = now - this.windowMs;
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop]! < oldest) drop++;
    if (drop) this.#times.splice(0, drop);
    const n = this.#times.length;
    if (n < 2) return 0;
    const first = this.#times[0]!;
    const last = this.#times[n - 1]!;
    const interval = (last - first) / (n - 1);
    if (interval <= 0) return 0;
    // A source silent for longer than its usual interval is slowing down: count the silence in.
    const sinceLast = now - last;
    return sinceLast > interval ? (1000 * n) / (now - first) : 1000 / interval;
  }
}
