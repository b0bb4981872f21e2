import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { writeKubeconfig, type KubeconfigOptions } from './kubeconfig.ts';
import { createCa, issueClientCert } from './pki.ts';

let dir: string;
let opts: KubeconfigOptions;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubeconfig-'));
  const ca = await createCa('tsk-server-ca');
  const clientCa = await createCa('tsk-client-ca');
  const admin = await issueClientCert(clientCa, { commonName: 'system:admin', groups: ['system:masters'] });
  opts = { server: 'https://127.0.0.1:6443', caPem: ca.certPem, certPem: admin.certPem, keyPem: admin.keyPem };
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const kubectl = (file: string, jsonpath: string): string =>
  execFileSync('kubectl', ['--kubeconfig', file, 'config', 'view', '--raw', '-o', `jsonpath=${jsonpath}`], { encoding: 'utf8' });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('writeKubeconfig', () => {
  test('k3s shape: default cluster/user/context, base64 data fields, mode 0600', () => {
    const file = path.join(dir, 'cred', 'admin.kubeconfig');
    writeKubeconfig(file, opts);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(doc.apiVersion, 'v1');
    assert.equal(doc.kind, 'Config');
    assert.equal(doc['current-context'], 'default');
    assert.deepEqual(doc.clusters, [{ name: 'default', cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) } }]);
    assert.deepEqual(doc.users, [{ name: 'default', user: { 'client-certificate-data': b64(opts.certPem), 'client-key-data': b64(opts.keyPem) } }]);
    assert.deepEqual(doc.contexts, [{ name: 'default', context: { cluster: 'default', user: 'default' } }]);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['admin.kubeconfig']);
  });

  test('kubectl 1.33 parses it', () => {
    const file = path.join(dir, 'kubectl.yaml');
    writeKubeconfig(file, opts);
    assert.equal(kubectl(file, '{.users[0].user.client-certificate-data}'), b64(opts.certPem));
    assert.equal(kubectl(file, '{.users[0].user.client-key-data}'), b64(opts.keyPem));
    assert.equal(kubectl(file, '{.clusters[0].cluster.certificate-authority-data}'), b64(opts.caPem));
    assert.equal(kubectl(file, '{.clusters[0].cluster.server}'), opts.server);
    assert.equal(kubectl(file, '{.current-context}'), 'default');
  });

  test('--write-kubeconfig-mode is honoured, also when replacing a file with another mode', () => {
    const file = path.join(dir, 'mode.yaml');
    fs.writeFileSync(file, 'old', { mode: 0o600 });
    writeKubeconfig(file, opts, 0o644);
    assert.equal(fs.statSync(file).mode & 0o777, 0o644);
    writeKubeconfig(file, { ...opts, server: 'https://10.0.0.1:6443' });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(YAML.parse(fs.readFileSync(file, 'utf8')).clusters[0].cluster.server, 'https://10.0.0.1:6443');
  });
});
