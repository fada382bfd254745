/**
 * Polls `probe` until it gives something truthy, and returns that; throws naming `what` after
 * `timeoutMs` (with `detail()` appended, e.g. what was seen instead). A test helper: the server
 * itself never polls.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, detail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `; ${detail()}` : ''}`);
    await Bun.sleep(100);
  }
}
