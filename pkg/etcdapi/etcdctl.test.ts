/**
 * End to end: Debian's etcdctl 3.4 (ETCDCTL_API=3) against the facade over a SQLite store.
 * What etcdctl prints is what users see, so outputs are compared as text where etcd's format
 * is fixed, and errors by the message (and gRPC code, which etcdctl logs on stderr). The same
 * suite runs against a real etcd 3.4, which keeps the expectations honest.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEtcd } from '../../test/lib/etcd.ts';
import { ETCDCTL, etcdctl, spawnEtcdctl, startFacade, type LineReader, type RunResult } from './testkit.ts';

interface Target {
  endpoint: string;
  /** A scratch directory that stop() removes. */
  dir: string;
  stop(): Promise<void>;
}

const missing = (file: string, pkg: string) => (fs.existsSync(file) ? false : `${file} is missing (apt-get install ${pkg})`);

describe('etcdctl against the etcd facade', { skip: missing(ETCDCTL, 'etcd-client') }, () => {
  suite('facade', () => startFacade());

  it('serves on a unix socket (unix://path, as etcd\'s --listen-client-urls)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-etcdapi-sock-'));
    const sock = path.join(dir, 'etcd.sock');
    const facade = await startFacade({ listenUrl: `unix://${sock}` });
    try {
      assert.equal(facade.endpoint, `unix:${sock}`);
      const url = `unix://${sock}`;
      assert.equal((await etcdctl(url, ['put', 'over-unix', 'yes'])).stdout, 'OK\n');
      assert.equal((await etcdctl(url, ['get', 'over-unix', '--print-value-only'])).stdout, 'yes\n');
      assert.match((await etcdctl(url, ['endpoint', 'status'])).stdout, new RegExp(`^${url}, [0-9a-f]+, 3\\.5\\.0, `));
      assert.match((await etcdctl(url, ['member', 'list'])).stdout, new RegExp(`, started, .+, , ${url}, false\\n$`));
    } finally {
      await facade.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('etcdctl against a real etcd 3.4 (the reference for the expectations)', { skip: missing(ETCDCTL, 'etcd-client') || missing('/usr/bin/etcd', 'etcd-server') }, () => {
  suite('etcd', async () => {
    const etcd = await startEtcd();
    return { endpoint: etcd.endpoint, dir: etcd.dataDir, stop: () => etcd.stop() };
  });
});

function suite(kind: 'facade' | 'etcd', start: () => Promise<Target>): void {
  const facadeOnly = kind === 'facade';
  let facade: Target;
  const ctl = (args: string[], input?: string): Promise<RunResult> => etcdctl(facade.endpoint, args, input === undefined ? {} : { input });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await ctl(args, input);
    assert.equal(r.code, 0, `etcdctl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const fails = async (args: string[], message: string, grpcCode?: string, input?: string): Promise<RunResult> => {
    const r = await ctl(args, input);
    assert.notEqual(r.code, 0, `etcdctl ${args.join(' ')} should fail, printed: ${r.stdout}`);
    assert.ok(r.stderr.includes(message), `expected "${message}" in: ${r.stderr}`);
    if (grpcCode) assert.ok(r.stderr.includes(`code = ${grpcCode} desc = ${message}`), `expected code ${grpcCode} in: ${r.stderr}`);
    return r;
  };
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-w', 'json'])); // eslint-disable-line @typescript-eslint/no-explicit-any
  const revision = async (): Promise<number> => (await json(['get', 'any-key'])).header.revision;

  before(async () => {
    facade = await start();
  });
  after(async () => {
    await facade?.stop();
  });

  it('puts and gets keys, prefixes, limits and old revisions', async () => {
    assert.equal(await ok(['put', 'foo', 'bar']), 'OK\n');
    const first = await revision();
    assert.equal(await ok(['put', 'foo', 'baz']), 'OK\n');
    await ok(['put', 'foo/a', '1']);
    await ok(['put', 'foo/b', '2']);
    assert.equal(await ok(['get', 'foo']), 'foo\nbaz\n');
    assert.equal(await ok(['get', 'foo', '--rev', String(first)]), 'foo\nbar\n');
    assert.equal(await ok(['get', 'foo/', '--prefix']), 'foo/a\n1\nfoo/b\n2\n');
    assert.equal(await ok(['get', 'foo', '--prefix', '--limit', '2', '--keys-only']), 'foo\n\nfoo/a\n\n');
    assert.equal(await ok(['get', 'foo/', '--prefix', '--print-value-only']), '1\n2\n');
    assert.equal(await ok(['get', 'foo', 'foo/b']), 'foo\nbaz\nfoo/a\n1\n');
    assert.equal(await ok(['get', 'foo/a', '--from-key']), 'foo/a\n1\nfoo/b\n2\n');
    assert.equal(await ok(['get', 'foo', '--prefix', '--sort-by', 'MODIFY', '--order', 'DESCEND', '--keys-only']), 'foo/b\n\nfoo/a\n\nfoo\n\n');

    const out = await json(['get', 'foo', '--prefix', '--limit', '1']);
    assert.equal(out.count, 3);
    assert.equal(out.more, true);
    assert.equal(out.kvs.length, 1);
    assert.equal(Buffer.from(out.kvs[0].key, 'base64').toString(), 'foo');
    assert.equal(Buffer.from(out.kvs[0].value, 'base64').toString(), 'baz');
    assert.equal(out.kvs[0].version, 2);
    assert.equal(out.kvs[0].create_revision, first);
    assert.equal(out.header.revision, first + 3);
    if (facadeOnly) assert.equal(out.header.raft_term, 1);
    assert.ok(out.header.cluster_id > 0 && out.header.member_id > 0);
  });

  it('deletes a prefix, with the previous values', async () => {
    await ok(['put', 'del/a', 'x']);
    await ok(['put', 'del/b', 'y']);
    await ok(['put', 'delz', 'keep']);
    assert.equal(await ok(['del', 'del/', '--prefix', '--prev-kv']), '2\ndel/a\nx\ndel/b\ny\n');
    assert.equal(await ok(['del', 'del/nothing']), '0\n');
    assert.equal(await ok(['get', 'del', '--prefix']), 'delz\nkeep\n');
  });

  it('runs txns read from stdin, both branches', async () => {
    await ok(['put', 'tx', '1']);
    const success = await ok(['txn'], 'value("tx") = "1"\n\nput tx 2\nget tx\n\nput tx failed\n\n');
    assert.equal(success, 'SUCCESS\n\nOK\n\ntx\n2\n');
    const failure = await ok(['txn'], 'value("tx") = "1"\nmod("tx") > "0"\n\nput tx 3\n\nget tx\nput tx-else yes\n\n');
    assert.equal(failure, 'FAILURE\n\ntx\n2\n\nOK\n');
    const j = JSON.parse(await ok(['txn', '-w', 'json'], 'version("tx") = "2"\n\ndel tx-else\nget tx\n\n\n'));
    assert.equal(j.succeeded, true);
    assert.equal(j.responses[0].Response.ResponseDeleteRange.deleted, 1);
    assert.equal(Buffer.from(j.responses[1].Response.ResponseRange.kvs[0].value, 'base64').toString(), '2');
    // Ops inside a txn carry only the revision in their header, as from etcd.
    assert.deepEqual(Object.keys(j.responses[1].Response.ResponseRange.header), ['revision']);
  });

  it('watches a prefix from a revision, with previous values', async () => {
    const from = (await revision()) + 1;
    const watch = spawnEtcdctl(facade.endpoint, ['watch', 'w/', '--prefix', '--prev-kv', '--rev', String(from)]);
    try {
      await ok(['put', 'w/1', 'a']);
      await ok(['put', 'other', 'ignored']);
      await ok(['put', 'w/1', 'b']);
      await ok(['del', 'w/1']);
      const lines = await watch.waitLines(13);
      assert.deepEqual(lines.slice(0, 13), ['PUT', 'w/1', 'a', 'PUT', 'w/1', 'a', 'w/1', 'b', 'DELETE', 'w/1', 'b', 'w/1', '']);
    } finally {
      await watch.kill();
    }
  });

  it('watches history from an old revision and then live events', async () => {
    await ok(['put', 'hist', 'one']);
    const from = await revision();
    await ok(['put', 'hist', 'two']);
    const watch = spawnEtcdctl(facade.endpoint, ['watch', 'hist', '--rev', String(from)]);
    try {
      await watch.waitLines(6);
      await ok(['put', 'hist', 'three']);
      assert.deepEqual(await watch.waitLines(9), ['PUT', 'hist', 'one', 'PUT', 'hist', 'two', 'PUT', 'hist', 'three']);
    } finally {
      await watch.kill();
    }
  });

  it('grants, keeps alive, inspects, lists and revokes leases', async () => {
    const granted = await ok(['lease', 'grant', '60']);
    const id = /^lease ([0-9a-f]+) granted with TTL\(60s\)$/m.exec(granted)?.[1];
    assert.ok(id, granted);
    await ok(['put', 'leased/a', 'v', '--lease', id]);
    await ok(['put', 'leased/b', 'v', '--lease', id]);
    assert.equal(await ok(['lease', 'keep-alive', '--once', id]), `lease ${id} keepalived with TTL(60)\n`);
    // etcd lists a lease's keys in no particular order.
    assert.match(await ok(['lease', 'timetolive', id, '--keys']), new RegExp(`^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[(leased/a leased/b|leased/b leased/a)\\]\\)\\n$`));
    assert.ok((await ok(['lease', 'list'])).split('\n').includes(id));

    const keepAlive = spawnEtcdctl(facade.endpoint, ['lease', 'keep-alive', id]);
    try {
      assert.equal((await keepAlive.waitLines(1))[0], `lease ${id} keepalived with TTL(60)`);
    } finally {
      await keepAlive.kill();
    }

    assert.equal(await ok(['lease', 'revoke', id]), `lease ${id} revoked\n`);
    assert.equal(await ok(['get', 'leased/', '--prefix']), '');
    assert.equal(await ok(['lease', 'timetolive', id]), `lease ${id} already expired\n`);
  });

  it('runs etcdctl lock and elect (sessions: lease keep-alive, txn, watch on the key ahead)', async () => {
    const holder = spawnEtcdctl(facade.endpoint, ['lock', 'mylock']);
    let waiter: LineReader | undefined;
    const candidate = spawnEtcdctl(facade.endpoint, ['elect', 'myelection', 'first']);
    const observer = spawnEtcdctl(facade.endpoint, ['elect', '--listen', 'myelection']);
    try {
      assert.match((await holder.waitLines(1))[0]!, /^mylock\/[0-9a-f]+$/);
      waiter = spawnEtcdctl(facade.endpoint, ['lock', 'mylock', '--', 'echo', 'second holder']);
      assert.deepEqual((await candidate.waitLines(2))[1], 'first');
      const seen = await observer.waitLines(2);
      assert.match(seen[0]!, /^myelection\/[0-9a-f]+$/);
      assert.equal(seen[1], 'first');
      // The lock is held, so the waiter runs nothing until the holder gives it up.
      assert.deepEqual(waiter.lines, []);
      holder.interrupt();
      assert.deepEqual(await waiter.waitLines(1), ['second holder']);
      assert.equal((await waiter.exited()).code, 0);
    } finally {
      for (const p of [holder, waiter, candidate, observer]) await p?.kill();
    }
  });

  it('compacts, then refuses reads of compacted revisions with etcd\'s error and keeps the data', async () => {
    await ok(['put', 'cmp', 'v1']);
    const old = await revision();
    await ok(['put', 'cmp', 'v2']);
    const now = await revision();
    assert.equal(await ok(['compaction', String(now)]), `compacted revision ${now}\n`);
    await fails(['get', 'cmp', '--rev', String(old)], 'etcdserver: mvcc: required revision has been compacted', 'OutOfRange');
    await fails(['compaction', String(old)], 'etcdserver: mvcc: required revision has been compacted', 'OutOfRange');
    assert.equal(await ok(['get', 'cmp', '--rev', String(now)]), 'cmp\nv2\n');
    assert.equal(await ok(['get', 'cmp']), 'cmp\nv2\n');

    const watch = spawnEtcdctl(facade.endpoint, ['watch', 'cmp', '--rev', String(old)]);
    try {
      const { code, stderr } = await watch.exited();
      assert.notEqual(code, 0);
      assert.match(stderr, /^watch was canceled \(etcdserver: mvcc: required revision has been compacted\)$/m);
    } finally {
      await watch.kill();
    }
  });

  it('reports endpoint status, health, hash, alarms, defrag and the member list', async () => {
    const [status] = await json(['endpoint', 'status']);
    assert.equal(status.Endpoint, facade.endpoint);
    assert.match(status.Status.version, /^3\.\d+\.\d+$/);
    if (facadeOnly) assert.equal(status.Status.version, '3.5.0');
    assert.equal(status.Status.leader, status.Status.header.member_id);
    if (facadeOnly) assert.equal(status.Status.raftTerm, 1);
    assert.ok(status.Status.dbSize > 0);
    assert.ok(status.Status.raftIndex >= status.Status.header.revision);

    const members = await json(['member', 'list']);
    assert.equal(members.members.length, 1);
    assert.equal(members.members[0].ID, status.Status.header.member_id);
    assert.deepEqual(members.members[0].clientURLs, [`http://${facade.endpoint}`]);
    assert.match(await ok(['member', 'list']), new RegExp(`^[0-9a-f]+, started, .+, .*, http://${facade.endpoint.replace(/\./g, '\\.')}, false\\n$`));

    // Per-endpoint maintenance calls with a URL endpoint (and every --cluster command) make
    // clientv3 3.4 send "http://host:port" as the HTTP/2 authority (authority.ts).
    const url = `http://${facade.endpoint}`;
    const byUrl = await etcdctl(url, ['endpoint', 'status']);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.match(byUrl.stdout, new RegExp(`^${url.replace(/\./g, '\\.')}, [0-9a-f]+, 3\\.\\d+\\.\\d+, `));
    assert.match(await ok(['endpoint', 'status', '--cluster']), new RegExp(`^${url.replace(/\./g, '\\.')}, `));
    assert.match(await ok(['endpoint', 'hashkv', '--cluster']), new RegExp(`^${url.replace(/\./g, '\\.')}, \\d+\\n$`));
    assert.equal((await etcdctl(url, ['defrag'])).stdout, `Finished defragmenting etcd member[${url}]\n`);
    assert.match((await ctl(['endpoint', 'health'])).stderr, /is healthy: successfully committed proposal/);
    assert.match(await ok(['endpoint', 'hashkv']), new RegExp(`^${facade.endpoint}, \\d+\\n$`));
    assert.equal(await ok(['alarm', 'list']), '');
    assert.equal(await ok(['defrag']), `Finished defragmenting etcd member[${facade.endpoint}]\n`);
  });

  it('gives etcd\'s errors for bad input and leaves the data intact', async () => {
    await ok(['put', 'safe/a', '1']);
    await ok(['put', 'safe/b', '2']);
    const before = await ok(['get', '', '--from-key']);
    const rev = await revision();

    await fails(['put', '', 'x'], 'etcdserver: key is not provided', 'InvalidArgument');
    await fails(['get', 'safe/a', '--rev', String(rev + 1000)], 'etcdserver: mvcc: required revision is a future revision', 'OutOfRange');
    await fails(['put', 'safe/c', 'x', '--lease', '1234abcd'], 'etcdserver: requested lease not found', 'NotFound');
    await fails(['put', 'safe/c', 'x', '--lease', '7fffffffffffffff'], 'etcdserver: requested lease not found', 'NotFound');
    await fails(['lease', 'revoke', '1234abcd'], 'etcdserver: requested lease not found', 'NotFound');
    await fails(['lease', 'keep-alive', '--once', '1234abcd'], 'etcdserver: requested lease not found');
    assert.equal(await ok(['lease', 'timetolive', '7fffffffffffffff']), 'lease 7fffffffffffffff already expired\n');
    await fails(['put', 'safe/nope', '--ignore-value'], 'etcdserver: key not found', 'InvalidArgument');
    await fails(['txn'], 'etcdserver: duplicate key given in txn request', 'InvalidArgument', '\nput safe/a 9\nput safe/a 8\n\n\n');
    const many = Array.from({ length: 129 }, (_, i) => `put safe/many${i} x`).join('\n');
    await fails(['txn'], 'etcdserver: too many operations in txn request', 'InvalidArgument', `\n${many}\n\n\n`);
    await fails(['put', 'safe/big'], 'etcdserver: request is too large', 'InvalidArgument', 'x'.repeat(1600 * 1024));
    const huge = await ctl(['put', 'safe/huge'], 'x'.repeat(3 * 1024 * 1024));
    assert.notEqual(huge.code, 0);
    assert.match(huge.stderr, /code = ResourceExhausted/);
    if (facadeOnly) await fails(['snapshot', 'save', `${facade.dir}/snap.db`], 'tsk: snapshot is not supported', 'Unimplemented');

    assert.equal(await ok(['get', '', '--from-key']), before);
    assert.equal(await revision(), rev);
    assert.equal(await ok(['put', 'safe/after', 'fine']), 'OK\n');
  });
}
