/**
 * Bounded parallelism for the many pod writes of one reconcile.
 *
 * slowStartBatch is client-go's: run `count` calls in batches of 1, 2, 4, … (each batch in
 * parallel), stopping after the first batch with a failure, so a request that fails for
 * every pod (quota, admission) fails once or twice rather than hundreds of times. Batches are
 * capped at `maxInFlight` so thousands of creates keep a bounded number of requests open.
 * Answers how many calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, initial: number, maxInFlight: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining, maxInFlight)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
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
