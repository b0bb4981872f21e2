import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isConfigError } from './errors.ts';
import { resolveFlags, type CliValues } from './resolve.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cli-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let files = 0;
function configFile(text: string): string {
  const file = path.join(tmp, `config-${files++}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

function cli(entries: Record<string, string | string[]>): CliValues {
  return new Map(Object.entries(entries));
}

/** Tests name a config file, so that a /etc/tsk/config.yaml on the machine cannot interfere. */
const EMPTY = configFile('');
/** An empty env var counts as unset, so this means "the default config file". */
const NO_FILE = { TSK_CONFIG_FILE: '' };

describe('flag resolution', () => {
  it('uses defaults when nothing is given', () => {
    const f = resolveFlags('server', cli({ config: EMPTY }), {});
    assert.equal(f.get('https-listen-port'), 6443);
    assert.equal(f.get('cluster-cidr'), '10.42.0.0/16');
    assert.equal(f.get('node-monitor-grace-period'), 40_000);
    assert.equal(f.get('write-kubeconfig-mode'), 0o600);
    assert.deepEqual(f.get('tls-san'), []);
    assert.equal(f.get('token'), undefined);
    assert.equal(f.source('https-listen-port').kind, 'default');
  });

  it('applies flag > env > file > default', () => {
    const file = configFile('https-listen-port: 7000\ncluster-domain: file.local\nbind-address: 127.0.0.3\nkubelet-port: 7250\n');
    const env = { TSK_HTTPS_LISTEN_PORT: '8000', TSK_CLUSTER_DOMAIN: 'env.local' };
    const f = resolveFlags('server', cli({ config: file, 'https-listen-port': '9000' }), env);
    assert.equal(f.get('https-listen-port'), 9000);
    assert.equal(f.get('cluster-domain'), 'env.local');
    assert.equal(f.get('bind-address'), '127.0.0.3');
    assert.equal(f.get('kubelet-port'), 7250);
    assert.equal(f.get('service-cidr'), '10.43.0.0/16');
    assert.deepEqual(f.source('cluster-domain'), { kind: 'env', name: 'TSK_CLUSTER_DOMAIN' });
    assert.deepEqual(f.source('bind-address'), { kind: 'file', file });
    assert.equal(f.configFile, file);
  });

  it('reads --server from TSK_URL and --token from TSK_TOKEN', () => {
    const f = resolveFlags('agent join', cli({ config: EMPTY }), { TSK_URL: 'https://10.0.0.1:6443', TSK_TOKEN: 's3cret', TSK_SERVER: 'https://ignored:1' });
    assert.equal(f.get('server'), 'https://10.0.0.1:6443');
    assert.equal(f.get('token'), 's3cret');
  });

  it('takes lists from every source, and the first source with one wins', () => {
    const file = configFile('tls-san:\n  - file-a\n  - file-b\nnode-label: a=1,b=2\ndisable: [coredns]\n');
    const f = resolveFlags('server', cli({ config: file, disable: ['servicelb', 'traefik,local-storage'] }), { TSK_NODE_TAINT: 'k=v:NoSchedule,x:NoExecute' });
    assert.deepEqual(f.get('tls-san'), ['file-a', 'file-b']);
    assert.deepEqual(f.get('node-label'), ['a=1', 'b=2']);
    assert.deepEqual(f.get('node-taint'), ['k=v:NoSchedule', 'x:NoExecute']);
    assert.deepEqual(f.get('disable'), ['servicelb', 'traefik', 'local-storage']);
  });

  it('reads booleans from env and file as Kubernetes does', () => {
    const file = configFile('disable-agent: "True"\n');
    assert.equal(resolveFlags('server', cli({ config: file }), {}).get('disable-agent'), true);
    assert.equal(resolveFlags('server', cli({ config: file }), { TSK_DISABLE_AGENT: '0' }).get('disable-agent'), false);
    assert.equal(resolveFlags('server', cli({ config: file, 'disable-agent': 'true' }), { TSK_DISABLE_AGENT: 'false' }).get('disable-agent'), true);
  });

  it('keeps 0644 in the config file an octal mode', () => {
    const f = resolveFlags('server', cli({ config: configFile('write-kubeconfig-mode: 0644\n') }), {});
    assert.equal(f.get('write-kubeconfig-mode'), 0o644);
  });

  it('treats empty env vars and empty file values as unset', () => {
    const file = configFile('https-listen-port:\n');
    const f = resolveFlags('server', cli({ config: file }), { TSK_CLUSTER_DOMAIN: '' });
    assert.equal(f.get('https-listen-port'), 6443);
    assert.equal(f.get('cluster-domain'), 'cluster.local');
  });

  it('ignores keys of other commands in a shared config file', () => {
    const file = configFile('cluster-cidr: 10.50.0.0/16\nserver: https://x:6443\nnodes: 3\n');
    const f = resolveFlags('agent', cli({ config: file }), {});
    assert.equal(f.get('kubelet-port'), 10250);
  });

  it('names the flag, env var or file key of a bad value', () => {
    const file = configFile('https-listen-port: 70000\n');
    assert.throws(() => resolveFlags('server', cli({ config: file }), {}), (err: Error) => isConfigError(err, 'bad-value') && err.message === `${file}: https-listen-port: must be a port number from 1 to 65535, got "70000"`);
    assert.throws(() => resolveFlags('server', cli({ config: file }), { TSK_HTTPS_LISTEN_PORT: 'x' }), /env TSK_HTTPS_LISTEN_PORT: must be a port/);
    assert.throws(() => resolveFlags('server', cli({ config: file, 'https-listen-port': '0' }), {}), /: --https-listen-port: must be a port/);
    assert.throws(() => resolveFlags('server', cli({ config: EMPTY, 'node-monitor-grace-period': '40' }), {}), /: --node-monitor-grace-period: must be a duration/);
    assert.throws(() => resolveFlags('server', cli({ config: EMPTY, 'node-label': ['ok=1', 'bad'] }), {}), /: --node-label: must be key=value, got "bad"/);
    assert.throws(() => resolveFlags('server', cli({ config: EMPTY, disable: 'kube-proxy' }), {}), /: --disable: "kube-proxy" is not a component/);
    assert.throws(() => resolveFlags('server', cli({ config: EMPTY, 'datastore-endpoint': 'mysql://x' }), {}), /: --datastore-endpoint: unknown scheme/);
  });

  it('rejects config file keys no flag has, and keys only the command line may set', () => {
    assert.throws(() => resolveFlags('server', cli({ config: configFile('htps-listen-port: 1\n') }), {}), (err: Error) => isConfigError(err, 'unknown-flag') && /htps-listen-port: no such flag/.test(err.message));
    assert.throws(() => resolveFlags('server', cli({ config: configFile('print-config: true\n') }), {}), /print-config: can only be given on the command line/);
    assert.throws(() => resolveFlags('server', cli({ config: configFile('tls-san: {a: 1}\n') }), {}), /tls-san: must be a value or a list/);
    assert.throws(() => resolveFlags('server', cli({ config: configFile('bind-address: [a, b]\n') }), {}), /bind-address: takes one value/);
    assert.throws(() => resolveFlags('server', cli({ config: configFile('- a\n') }), {}), (err: Error) => isConfigError(err, 'config-file'));
    assert.throws(() => resolveFlags('server', cli({ config: configFile('a: "x\n') }), {}), /not valid YAML/);
  });

  it('accepts a missing default config file but not a missing explicit one', () => {
    const missing = path.join(tmp, 'missing.yaml');
    assert.throws(() => resolveFlags('server', cli({ config: missing }), {}), (err: Error) => isConfigError(err, 'config-file') && err.message === `config file ${missing} (from --config): no such file`);
    assert.throws(() => resolveFlags('server', cli({}), { TSK_CONFIG_FILE: missing }), /\(from env TSK_CONFIG_FILE\): no such file/);
    // No --config and no env var: the default /etc/tsk/config.yaml, absent on test machines.
    if (!fs.existsSync('/etc/tsk/config.yaml')) {
      assert.equal(resolveFlags('server', cli({}), NO_FILE).configFile, undefined);
    }
  });

  it('makes --data-dir absolute', () => {
    const f = resolveFlags('server', cli({ config: EMPTY, 'data-dir': 'rel/dir' }), {});
    assert.equal(f.get('data-dir'), path.resolve('rel/dir'));
  });
});
