/**
 * Collects what a client reports asynchronously (watch events, informer callbacks, output
 * lines) and lets a test wait for a condition on it. There is no deadline here on purpose: the
 * test's own `timeout` bounds the wait, so a slow machine never turns into a false failure.
 */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: Array<{ ready: () => boolean; resolve: () => void }> = [];

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** Re-checks the conditions of pending waits (for state kept outside `items`). */
  wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.ready()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `ready(items)` holds, checking now and after every push or wake. */
  until(ready: (items: T[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => ready(this.items);
      if (check()) resolve();
      else this.waiters.push({ ready: check, resolve });
    });
  }
}
