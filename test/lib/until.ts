/**
 * Polling for integration tests: controllers converge in their own time, so tests wait for a
 * state with a generous deadline instead of sleeping a fixed time.
 */

/** Polls `check` every 250 ms until it returns a value (not undefined) or `ms` (60 s) pass; a throw counts as not yet. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
