/**
 * Writes bindings (POST pods/<name>/binding) in the background, a bounded number at once, so
 * that the scheduling loop never waits on the API: kube-scheduler's asynchronous binding cycle.
 */
import type { Client } from '../client/client.ts';
import { resourcePath } from '../client/paths.ts';
import type { Pod } from './types.ts';

export interface BindOutcome {
  bound(pod: Pod, node: string): void;
  failed(pod: Pod, err: Error): void;
}

export class Binder {
  private readonly pending: { pod: Pod; node: string }[] = [];
  private inFlight = 0;

  /** preBind: runs before the binding is written (volume binding); a rejection fails the binding. */
  constructor(private readonly client: Client, private readonly concurrency: number, private readonly outcome: BindOutcome, private readonly preBind?: (pod: Pod, node: string) => Promise<void>) {}

  bind(pod: Pod, node: string): void {
    this.pending.push({ pod, node });
    this.pump();
  }

  /** Bindings queued or being written. */
  get backlog(): number {
    return this.pending.length + this.inFlight;
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.pending.length > 0) {
      const { pod, node } = this.pending.shift()!;
      this.inFlight++;
      this.write(pod, node)
        .then(() => this.outcome.bound(pod, node), (err: Error) => this.outcome.failed(pod, err))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async write(pod: Pod, node: string): Promise<unknown> {
    await this.preBind?.(pod, node);
    const { name, namespace, uid } = pod.metadata;
    return this.client.create(resourcePath({ version: 'v1', resource: 'pods', namespace, name, subresource: 'binding' }), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, uid },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
  }
}
