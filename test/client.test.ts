/**
 * pkg/client against the real server: CRUD and the ClientError statuses, watch events,
 * informers following changes across server-ended watches, and leader election on a Lease.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Client, ClientError, resourcePath } from '../pkg/client/client.ts';
import { Informer } from '../pkg/client/informer.ts';
import { LeaderElector } from '../pkg/client/leaderelection.ts';
import type { KObject } from '../pkg/api/types.ts';
import { clusterPerFile, freePort } from './lib/cluster.ts';
import { startTsk, type TskProcess } from './lib/tsk.ts';

const { cluster, ok } = clusterPerFile();

const ns = 'client-test';
const configmaps = resourcePath({ version: 'v1', resource: 'configmaps', namespace: ns });
const cm = (name: string, data: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

function client(): Client {
  return Client.fromKubeconfig(cluster().kubeconfig, { userAgent: 'tsk-client-test' });
}

/** Resolves when `check` first holds, re-checked on every call of the returned poke. */
function until(check: () => boolean): { done: Promise<void>; poke: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const poke = () => {
    if (check()) resolve();
  };
  return { done, poke };
}

async function rejectsWith(p: Promise<unknown>, code: number, reason: string): Promise<ClientError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ClientError, `expected a ClientError, got ${String(err)}`);
  assert.equal(err.code, code);
  assert.equal(err.reason, reason);
  return err;
}

test('setup: a namespace', async () => {
  await ok(['create', 'namespace', ns]);
});

test('CRUD, and non-2xx answers throw ClientError with the Status', async () => {
  const c = client();
  try {
    const created = await c.create(configmaps, cm('crud', { a: '1' }));
    assert.equal(created.metadata.namespace, ns);
    assert.ok(created.metadata.resourceVersion);
    const got = await c.get(`${configmaps}/crud`);
    assert.deepEqual(got.data, { a: '1' });
    const updated = await c.update(`${configmaps}/crud`, { ...got, data: { a: '2' } });
    assert.deepEqual(updated.data, { a: '2' });
    const patched = await c.patch(`${configmaps}/crud`, { data: { b: '3' } }, 'merge');
    assert.deepEqual(patched.data, { a: '2', b: '3' });
    const list = await c.list(configmaps, { fieldSelector: 'metadata.name=crud' });
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['crud']);
    assert.ok(list.metadata.resourceVersion);

    await rejectsWith(c.create(configmaps, cm('crud')), 409, 'AlreadyExists');
    const stale = await rejectsWith(c.update(`${configmaps}/crud`, got), 409, 'Conflict');
    assert.match(stale.message, /the object has been modified/);
    await rejectsWith(c.create(configmaps, cm('Bad_Name')), 422, 'Invalid');
    await rejectsWith(c.list(configmaps, { labelSelector: '!!' }), 400, 'BadRequest');

    await c.delete(`${configmaps}/crud`, { propagationPolicy: 'Background' });
    const gone = await rejectsWith(c.get(`${configmaps}/crud`), 404, 'NotFound');
    assert.equal(gone.status.details?.name, 'crud');
  } finally {
    c.close();
  }
});

test('credentials given directly: a wrong token is 401 Unauthorized', async () => {
  const good = client();
  const bad = new Client({ server: cluster().url, ca: good.credentials.ca, token: 'not-a-token' });
  try {
    await rejectsWith(bad.get(configmaps), 401, 'Unauthorized');
  } finally {
    bad.close();
    good.close();
  }
});

test('watch sees ADDED, MODIFIED and DELETED, then stops', async () => {
  const c = client();
  try {
    const list = await c.list(configmaps);
    const watch = c.watch(configmaps, { resourceVersion: list.metadata.resourceVersion, labelSelector: 'w=1' });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of watch) {
        if (e.type === 'ERROR') throw new Error(e.object.message);
        seen.push(`${e.type} ${e.object.metadata.name}`);
        if (e.type === 'DELETED') watch.stop();
      }
    })();
    const obj = await c.create(configmaps, { ...cm('watched'), metadata: { name: 'watched', labels: { w: '1' } } });
    await c.update(`${configmaps}/watched`, { ...obj, data: { x: 'y' } });
    await c.delete(`${configmaps}/watched`);
    await reading;
    assert.deepEqual(seen, ['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  } finally {
    c.close();
  }
});

test('informer: syncs, follows changes across server-ended watches, reports deletes', async () => {
  const c = client();
  await c.create(configmaps, cm('before-sync', { v: '0' }));
  // Watches of one second: the server ends several of them during this test.
  const informer = new Informer(c, { path: configmaps, watchTimeoutSeconds: 1 });
  const log: string[] = [];
  const ready = until(() => informer.get(`${ns}/inf`)?.data?.v === '3' && log.includes('delete before-sync'));
  informer
    .onAdd((o) => (log.push(`add ${o.metadata.name}`), ready.poke()))
    .onUpdate((_old, o) => (log.push(`update ${o.metadata.name}`), ready.poke()))
    .onDelete((o) => (log.push(`delete ${o.metadata.name}`), ready.poke()));
  try {
    assert.equal(informer.hasSynced(), false);
    informer.start();
    await informer.waitForSync();
    assert.equal(informer.hasSynced(), true);
    assert.equal(informer.get(`${ns}/before-sync`)?.data?.v, '0');
    await c.create(configmaps, cm('inf', { v: '1' }));
    // Outlive at least one server-ended watch between changes: wait for the next list-or-watch round.
    await waitForRewatch(informer);
    await c.patch(`${configmaps}/inf`, { data: { v: '2' } });
    await waitForRewatch(informer);
    await c.patch(`${configmaps}/inf`, { data: { v: '3' } });
    await c.delete(`${configmaps}/before-sync`);
    await ready.done;
    assert.deepEqual(log.filter((l) => l.endsWith(' inf')), ['add inf', 'update inf', 'update inf']);
    assert.equal(informer.get(`${ns}/before-sync`), undefined);
    assert.equal(informer.listCount, 1, 'server-ended watches resume without relisting');
  } finally {
    informer.stop();
    c.close();
  }
});

/** Resolves after the informer has opened a new watch (it re-watches when the server ends one). */
async function waitForRewatch(informer: Informer): Promise<void> {
  const watches = informer.watchCount;
  while (informer.watchCount === watches) await new Promise((r) => setTimeout(r, 50));
}

test('leader election: exactly one of two candidates leads; the other takes over when it stops', async () => {
  const c1 = client();
  const c2 = client();
  const events: string[] = [];
  const started = new Map<string, () => void>();
  const startedLeading = (id: string) => new Promise<void>((r) => started.set(id, r));
  let bSawA!: () => void;
  const bSeesA = new Promise<void>((r) => (bSawA = r));
  const make = (c: Client, id: string) =>
    new LeaderElector(c, {
      namespace: ns,
      name: 'test-lock',
      identity: id,
      leaseDurationSeconds: 2,
      renewDeadlineMs: 1000,
      retryPeriodMs: 200,
      onStartedLeading: () => (events.push(`start ${id}`), started.get(id)?.()),
      onStoppedLeading: () => events.push(`stop ${id}`),
      onNewLeader: (leader) => (id === 'b' && leader === 'a' ? bSawA() : undefined),
    });
  const a = make(c1, 'a');
  const b = make(c2, 'b');
  const aLeads = startedLeading('a');
  const bLeads = startedLeading('b');
  try {
    a.start();
    await aLeads;
    b.start();
    await bSeesA;
    // b found the Lease held; a renews it again meanwhile and b still does not lead.
    const lease = async () => (await c1.get(`${resourcePath({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: ns })}/test-lock`)).spec;
    const firstRenew = (await lease()).renewTime;
    while ((await lease()).renewTime === firstRenew) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(events, ['start a']);
    assert.equal(a.isLeader(), true);
    assert.equal(b.isLeader(), false);

    await a.stop();
    await bLeads;
    assert.deepEqual(events, ['start a', 'stop a', 'start b']);
    const spec = await lease();
    assert.equal(spec.holderIdentity, 'b');
    assert.equal(spec.leaseTransitions, 1);
    assert.ok(spec.acquireTime);
  } finally {
    await a.stop();
    await b.stop();
    c1.close();
    c2.close();
  }
});

test('after a restart the old resourceVersion is gone (410): the informer relists and emits the differences', { timeout: 120_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-client-relist-'));
  const servers: TskProcess[] = [];
  const boot = async (port: number) => {
    const server = startTsk(['server', '--disable-agent', '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1']);
    servers.push(server);
    await server.waitForLog(/serving the Kubernetes API/, 30_000);
    return server;
  };
  const port = await freePort();
  let informer: Informer | undefined;
  const clients: Client[] = [];
  try {
    const first = await boot(port);
    const c = Client.fromKubeconfig(path.join(dataDir, 'server', 'cred', 'admin.kubeconfig'));
    clients.push(c);
    await c.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const labelled = (name: string, data: Record<string, string> = {}) => ({ ...cm(name, data), metadata: { name, labels: { relist: '1' } } });
    await c.create(configmaps, labelled('keep', { v: '1' }));
    await c.create(configmaps, labelled('gone'));
    informer = new Informer(c, { path: configmaps, labelSelector: 'relist=1', backoffMs: { initial: 100, max: 500 } });
    const inf = informer;
    const log: string[] = [];
    const relisted = until(() => log.includes('delete gone') && log.includes('add new') && log.includes('update keep'));
    inf.onAdd((o) => (log.push(`add ${o.metadata.name}`), relisted.poke()));
    inf.onUpdate((_old, o) => (log.push(`update ${o.metadata.name}`), relisted.poke()));
    inf.onDelete((o) => (log.push(`delete ${o.metadata.name}`), relisted.poke()));
    await inf.start().waitForSync();
    const seenVersion = inf.resourceVersion;
    await first.kill();

    // Changes the informer cannot see: made through a second server on another port.
    const otherPort = await freePort();
    const second = await boot(otherPort);
    const other = new Client({ ...c.credentials, server: `https://127.0.0.1:${otherPort}` });
    clients.push(other);
    await other.delete(`${configmaps}/gone`);
    await other.patch(`${configmaps}/keep`, { data: { v: '2' } });
    await other.create(configmaps, labelled('new'));
    await second.kill();

    // Back on the informer's port: its resourceVersion predates this server's watch cache.
    await boot(port);
    const events = [];
    for await (const e of c.watch(configmaps, { resourceVersion: seenVersion })) events.push(e);
    assert.deepEqual(events.map((e) => [e.type, e.type === 'ERROR' ? e.object.code : undefined]), [['ERROR', 410]]);
    await relisted.done;
    assert.equal(inf.listCount, 2);
    assert.deepEqual(inf.keys().sort(), [`${ns}/keep`, `${ns}/new`]);
    assert.equal(inf.get(`${ns}/keep`)?.data?.v, '2');
  } finally {
    informer?.stop();
    for (const c of clients) c.close();
    for (const s of servers) await s.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
