/**
 * Bounded parallelism for the many pod writes of one reconcile.
 *
 * slowStart is client-go's slowStartBatch kept as a pipeline: one call first, and each success
 * lets one more be in flight (so the window doubles per round trip, up to `maxInFlight`), so a request that
 * fails for every pod (quota, admission) fails a handful of times rather than hundreds, while
 * thousands of creates that succeed keep `maxInFlight` requests open without waiting for the
 * slowest of each batch. After the first failure nothing more starts. Answers how many calls
 * succeeded and the first error.
 */
export function slowStart(count: number, maxInFlight: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  return new Promise((resolve) => {
    let started = 0;
    let inFlight = 0;
    let window = 1;
    let successes = 0;
    let error: unknown;
    let failed = false;
    const pump = (): void => {
      while (!failed && started < count && inFlight < window) {
        started++;
        inFlight++;
        fn().then(
          () => {
            successes++;
            window = Math.min(maxInFlight, window + 1);
          },
          (err: unknown) => {
            if (!failed) error = err;
            failed = true;
          },
        ).finally(() => {
          inFlight--;
          if (inFlight === 0 && (failed || started === count)) resolve(failed ? { successes, error } : { successes });
          else pump();
        });
      }
    };
    if (count <= 0) resolve({ successes: 0 });
    else pump();
  });
}

/** Runs fn over every item with at most `limit` calls in flight; answers the failures. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}
