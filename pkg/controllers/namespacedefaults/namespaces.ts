/**
 * What the two per-namespace publishers share: a queue of namespace names fed by the namespace
 * informer (plus whatever else the publisher follows), and a reconcile that only runs for
 * namespaces that exist and are not terminating.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';

/** A namespace that exists and is not being deleted (content made there would be refused). */
export function isLive(ns: KObject | undefined): boolean {
  return !!ns && !ns.metadata.deletionTimestamp && (ns as { status?: { phase?: string } }).status?.phase !== 'Terminating';
}

/**
 * Creates `obj`; a lagging cache makes us try to create what exists, and a namespace may start
 * terminating meanwhile: both are the outcome the next event settles, not failures.
 */
export async function createIgnoringRaces(client: Client, path: string, obj: KObject): Promise<void> {
  try {
    await client.create(path, obj);
  } catch (err) {
    if (isClientError(err, 'AlreadyExists') || isClientError(err, 'NotFound')) return;
    if (isClientError(err, 'Forbidden') && /terminat/i.test(err.message)) return;
    throw err;
  }
}

export abstract class NamespacePublisher implements Controller {
  abstract readonly name: string;
  protected client!: Client;
  private namespaces!: Informer;
  protected readonly queue: WorkQueue;

  constructor(queueName: string, private readonly serviceAccount: string) {
    this.queue = new WorkQueue((ns) => this.reconcile(ns), { name: queueName, workers: 2, paused: true });
  }

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(this.serviceAccount);
    this.namespaces = ctx.informers.informerFor({ version: 'v1', resource: 'namespaces' });
    const enqueue = (ns: KObject) => this.queue.add(ns.metadata.name!);
    this.namespaces.onAdd(enqueue).onUpdate((_, ns) => enqueue(ns));
    this.follow(ctx);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  /** Makes the publisher's other informers and enqueues namespaces from their events. */
  protected abstract follow(ctx: ControllerContext): void;

  /** Puts the namespace's object in place. */
  protected abstract publish(namespace: string): Promise<void>;

  private async reconcile(namespace: string): Promise<boolean> {
    if (isLive(this.namespaces.get(namespace))) await this.publish(namespace);
    return true;
  }
}
