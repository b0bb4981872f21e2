import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCommandConfig } from './commands.ts';
import { isConfigError } from './errors.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cli-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const EMPTY = path.join(tmp, 'empty.yaml');
fs.writeFileSync(EMPTY, '');

const TOKEN = `K10${'ab'.repeat(32)}::server:secret`;

function flags(entries: Record<string, string | string[]>): Map<string, string | string[]> {
  return new Map(Object.entries({ config: EMPTY, ...entries }));
}

describe('command configs', () => {
  it('a server joining another (--server) needs its token and an external datastore', () => {
    const join = { server: 'https://10.0.0.1:6443', token: TOKEN, 'datastore-endpoint': 'etcd://10.0.0.5:2379' };
    const c = loadCommandConfig('server', flags(join), {});
    assert.equal(c.server, 'https://10.0.0.1:6443');
    assert.equal(loadCommandConfig('server', flags({}), { TSK_URL: 'https://10.0.0.1:6443', TSK_TOKEN: TOKEN, TSK_DATASTORE_ENDPOINT: 'etcd://10.0.0.5:2379' }).server, 'https://10.0.0.1:6443');
    assert.throws(() => loadCommandConfig('server', flags({ ...join, server: 'http://10.0.0.1:6443' }), {}), /--server: must be an https:\/\/ URL/);
    assert.throws(() => loadCommandConfig('server', flags({ server: join.server, 'datastore-endpoint': join['datastore-endpoint'] }), {}), (err: Error) => isConfigError(err, 'missing-value') && /--token/.test(err.message));
    assert.throws(() => loadCommandConfig('server', flags({ server: join.server, token: TOKEN }), {}), (err: Error) => isConfigError(err, 'conflict') && /datastore-endpoint/.test(err.message));
  });

  it('builds the server config with defaults and the embedded sqlite datastore', () => {
    const c = loadCommandConfig('server', flags({ 'data-dir': '/srv/tsk' }), {});
    assert.equal(c.command, 'server');
    assert.equal(c.httpsListenPort, 6443);
    assert.deepEqual(c.datastore, { kind: 'sqlite', file: '/srv/tsk/server/db/state.db' });
    assert.equal(c.agent?.kubeletPort, 10250);
    assert.equal(c.agent?.nodeName, os.hostname().toLowerCase());
    assert.equal(c.defaultUnreachableTolerationSeconds, 300);
  });

  it('keeps Leases and Events volatile by default, and all keys durable with "none"', () => {
    const byDefault = loadCommandConfig('server', flags({}), {});
    assert.equal(byDefault.command, 'server');
    assert.deepEqual(byDefault.datastoreVolatilePrefixes, ['/registry/leases/', '/registry/events/']);
    assert.equal(byDefault.datastoreCheckpointIntervalMs, 600_000);
    const none = loadCommandConfig('server', flags({ 'datastore-volatile-prefix': ['none'] }), {});
    assert.equal(none.command, 'server');
    assert.deepEqual(none.datastoreVolatilePrefixes, []);
    assert.throws(() => loadCommandConfig('server', flags({ 'datastore-volatile-prefix': ['none', '/registry/leases/'] }), {}), (err: Error) => isConfigError(err, 'conflict'));
    assert.throws(() => loadCommandConfig('server', flags({ 'datastore-volatile-prefix': ['leases'] }), {}), /--datastore-volatile-prefix/);
  });

  it('parses an external etcd datastore', () => {
    const c = loadCommandConfig('server', flags({ 'datastore-endpoint': 'etcd://10.0.0.1:2379,10.0.0.2:2379' }), {});
    assert.deepEqual(c.datastore, { kind: 'etcd', endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'], tls: false });
  });

  it('rejects agent flags with --disable-agent, naming both and their sources', () => {
    assert.throws(
      () => loadCommandConfig('server', flags({ 'disable-agent': 'true', 'node-label': 'a=b' }), {}),
      (err: Error) => isConfigError(err, 'conflict') && err.message === '--node-label: configures the agent, which --disable-agent turns off',
    );
    assert.throws(
      () => loadCommandConfig('server', flags({ 'kubelet-port': '10251' }), { TSK_DISABLE_AGENT: 'true' }),
      /--kubelet-port: configures the agent, which env TSK_DISABLE_AGENT turns off/,
    );
    const c = loadCommandConfig('server', flags({ 'disable-agent': 'true' }), {});
    assert.equal(c.agent, undefined);
  });

  it('keeps cluster DNS inside the service range and pod and service ranges apart', () => {
    assert.throws(() => loadCommandConfig('server', flags({ 'cluster-dns': '10.42.0.10' }), {}), (err: Error) => isConfigError(err, 'conflict') && /--cluster-dns: 10.42.0.10 is outside the service range/.test(err.message));
    assert.throws(() => loadCommandConfig('server', flags({ 'cluster-cidr': '10.0.0.0/8' }), {}), /--cluster-cidr: 10.0.0.0\/8 overlaps the service range/);
    const c = loadCommandConfig('server', flags({ 'service-cidr': '10.96.0.0/12', 'cluster-dns': '10.96.0.10' }), {});
    assert.equal(c.clusterDns, '10.96.0.10');
  });

  it('serves the etcd API on http and unix URLs only', () => {
    assert.equal(loadCommandConfig('server', flags({ 'etcd-listen-client-url': 'http://127.0.0.1:2379' }), {}).etcdListenClientUrl, 'http://127.0.0.1:2379');
    assert.equal(loadCommandConfig('server', flags({ 'etcd-listen-client-url': 'unix:///run/tsk/etcd.sock' }), {}).etcdListenClientUrl, 'unix:///run/tsk/etcd.sock');
    assert.throws(() => loadCommandConfig('server', flags({ 'etcd-listen-client-url': 'https://127.0.0.1:2379' }), {}), /--etcd-listen-client-url: only http:\/\/ and unix:\/\//);
    assert.throws(() => loadCommandConfig('server', flags({ 'etcd-listen-client-url': '127.0.0.1:2379' }), {}), /--etcd-listen-client-url: must be http:\/\/IP/);
    assert.throws(() => loadCommandConfig('server', flags({ 'etcd-listen-client-url': 'http://127.0.0.1:2379/v3' }), {}), /must be http:\/\/IP/);
  });

  it('requires --server (https) and a join token for agent join', () => {
    assert.throws(() => loadCommandConfig('agent join', flags({ token: TOKEN }), {}), (err: Error) => isConfigError(err, 'missing-value') && /--server is required .*TSK_URL/.test(err.message));
    assert.throws(() => loadCommandConfig('agent join', flags({ server: 'https://10.0.0.1:6443' }), {}), /--token is required .*TSK_TOKEN/);
    assert.throws(() => loadCommandConfig('agent join', flags({ server: 'http://10.0.0.1:6443', token: TOKEN }), {}), /--server: must be an https:\/\/ URL/);
    assert.throws(() => loadCommandConfig('agent join', flags({ server: 'https://10.0.0.1:6443', token: 'K10abc::server:x' }), {}), /--token: must be the join token/);
    // k3s's short forms: no CA hash, the agent trusts the first CA it sees.
    assert.equal(loadCommandConfig('agent join', flags({ server: 'https://10.0.0.1:6443', token: 'secret' }), {}).token, 'secret');
    const c = loadCommandConfig('agent join', flags({ 'node-name': 'pi-1' }), { TSK_URL: 'https://10.0.0.1:6443', TSK_TOKEN: TOKEN });
    assert.equal(c.server, 'https://10.0.0.1:6443');
    assert.equal(c.node.nodeName, 'pi-1');
  });

  it('validates simulate', () => {
    const base = { server: 'https://127.0.0.1:6443', token: TOKEN };
    assert.throws(() => loadCommandConfig('simulate', flags(base), {}), /--nodes is required/);
    assert.throws(() => loadCommandConfig('simulate', flags({ ...base, nodes: '0' }), {}), /--nodes: must be at least 1/);
    assert.throws(() => loadCommandConfig('simulate', flags({ ...base, nodes: '2', 'name-prefix': 'Bad_' }), {}), /--name-prefix: must be a lowercase DNS name/);
    const c = loadCommandConfig('simulate', flags({ ...base, nodes: '5' }), {});
    assert.equal(c.nodes, 5);
    assert.equal(c.namePrefix, 'sim-');
  });
});
