/**
 * Signal handling for long-running commands. The first SIGTERM/SIGINT starts a clean shutdown
 * (the caller stops listeners and lets the datastore finish in-flight commits); a second one
 * means the operator has lost patience, so the process exits at once, as k3s and kubelet do.
 */
import type { Logger } from '../log/log.ts';

export interface ShutdownSignal {
  /** Resolves with the signal's name on the first SIGTERM/SIGINT. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers (after a clean shutdown, or in tests). */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export function onShutdownSignal(log: Logger): ShutdownSignal {
  let first: NodeJS.Signals | undefined;
  let resolve!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const handler = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = signal;
      log.info(`received ${signal}, shutting down (send it again to exit at once)`);
      resolve(signal);
      return;
    }
    log.warn(`received ${signal} again, exiting without finishing the shutdown`);
    process.exit(1);
  };
  for (const s of SIGNALS) process.on(s, handler);
  // Without a pending timer or socket Node would exit while we wait for the signal (a datastore
  // whose timers are unref'd and no listener yet): this keeps the loop alive until then.
  const keepAlive = setInterval(() => {}, 1 << 30);
  void received.then(() => clearInterval(keepAlive));
  return {
    received,
    dispose: () => {
      clearInterval(keepAlive);
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}
