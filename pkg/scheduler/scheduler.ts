/**
 * Placeholder until the scheduler lands: the contract components.ts relies on.
 */
import type { Client } from '../client/client.ts';

export interface SchedulerOptions {
  /** Lease duration for leader election (default 15 s). */
  leaseDurationSeconds?: number;
}

export class Scheduler {
  constructor(private readonly client: Client, private readonly options: SchedulerOptions) {}

  start(): void {}

  async stop(): Promise<void> {
    this.client.close();
  }
}
