/**
 * Watch semantics seen on the wire: initial events with the end-of-initial-events bookmark
 * (what client-go's WatchList asks for), resume from a resourceVersion, and a watcher that
 * stops reading: it is cut off while a second watcher of the same objects keeps getting every
 * event, so the server never holds an unbounded backlog for it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { cluster, ok } = clusterPerFile();

interface WatchEvent {
  type: string;
  object: { metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

function connect(): http2.ClientHttp2Session {
  const tls = path.join(cluster().dataDir, 'server', 'tls');
  const session = http2.connect(cluster().url, {
    ca: fs.readFileSync(path.join(tls, 'server-ca.crt')),
    cert: fs.readFileSync(path.join(tls, 'client-admin.crt')),
    key: fs.readFileSync(path.join(tls, 'client-admin.key')),
  });
  session.on('error', () => {});
  return session;
}

/** Opens a watch and collects its events; `until` resolves once `predicate` holds. */
function watch(session: http2.ClientHttp2Session, query: string) {
  const events: WatchEvent[] = [];
  const waiters: { predicate: (e: WatchEvent[]) => boolean; resolve: () => void }[] = [];
  let ended = false;
  let buffer = '';
  const stream = session.request({ ':path': `/api/v1/namespaces/default/configmaps?watch=1&${query}` });
  stream.setEncoding('utf8');
  const check = () => {
    for (const w of [...waiters]) if (w.predicate(events)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buffer.slice(0, nl)) as WatchEvent);
      buffer = buffer.slice(nl + 1);
    }
    check();
  });
  const done = new Promise<void>((resolve) => stream.on('close', () => {
    ended = true;
    resolve();
  }));
  return {
    stream,
    events,
    done,
    get ended() {
      return ended;
    },
    until: (predicate: (e: WatchEvent[]) => boolean) => new Promise<void>((resolve) => {
      waiters.push({ predicate, resolve });
      check();
    }),
  };
}

test('sendInitialEvents: every object, then a bookmark marking the end of them', async () => {
  await ok(['create', 'configmap', 'initial-a']);
  await ok(['create', 'configmap', 'initial-b']);
  const session = connect();
  try {
    const w = watch(session, 'sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=');
    await w.until((e) => e.some((x) => x.type === 'BOOKMARK'));
    const names = w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
    assert.ok(names.includes('initial-a') && names.includes('initial-b'), names.join(','));
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK')!;
    assert.equal(bookmark.object.metadata.annotations?.['k8s.io/initial-events-end'], 'true');
    assert.equal(w.events.indexOf(bookmark), w.events.length - 1, 'the bookmark comes after every initial event');

    // Resume from the bookmark's revision: only what happens later. Only initial-a: the root CA
    // publisher may write kube-root-ca.crt into this namespace at any moment after start.
    const resumed = watch(session, `resourceVersion=${bookmark.object.metadata.resourceVersion}&fieldSelector=metadata.name%3Dinitial-a`);
    await ok(['label', 'configmap', 'initial-a', 'seen=yes']);
    await resumed.until((e) => e.length > 0);
    assert.deepEqual(resumed.events.map((e) => [e.type, e.object.metadata.name]), [['MODIFIED', 'initial-a']]);
    resumed.stream.close();
    w.stream.close();
  } finally {
    session.close();
  }
});

test('a watcher that stops reading is cut off; the others get every event', { timeout: 120_000 }, async () => {
  const slowSession = connect();
  const fastSession = connect();
  try {
    const start = (await ok(['get', 'configmaps', '-o', 'jsonpath={.metadata.resourceVersion}'])).trim();
    const slow = watch(slowSession, `resourceVersion=${start}&labelSelector=big%3Dyes`);
    const fast = watch(fastSession, `resourceVersion=${start}&labelSelector=big%3Dyes`);
    slow.stream.pause();
    // 100 objects of ~700 KiB: far more than a watcher may have queued (64 MiB).
    const value = 'x'.repeat(700 * 1024);
    for (let i = 0; i < 100; i++) {
      const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, labels: { big: 'yes' } }, data: { v: value } });
      await ok(['create', '-f', '-'], manifest);
    }
    await fast.until((e) => e.filter((x) => x.type === 'ADDED').length === 100);
    slow.stream.resume();
    await slow.done;
    assert.ok(slow.ended, 'the slow watch was ended by the server');
    assert.ok(slow.events.length < 100, `the slow watcher got ${slow.events.length} events before it was cut off`);
    fast.stream.close();
  } finally {
    slowSession.destroy();
    fastSession.close();
  }
});
