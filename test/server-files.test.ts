/**
 * What `tsk server` leaves for its user: the admin kubeconfig (and --write-kubeconfig with its
 * mode), the join token whose hash pins the server CA, and a serving certificate kubectl trusts.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const written = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubeconfig-')), 'nested', 'config');
const { cluster, ok } = clusterPerFile(['--write-kubeconfig', written, '--write-kubeconfig-mode', '0644', '--token', 'sekret', '--tls-san', 'tsk.example.test']);

test('the admin kubeconfig is 0600 and --write-kubeconfig gets the asked mode', async () => {
  assert.equal(fs.statSync(cluster().kubeconfig).mode & 0o777, 0o600);
  assert.equal(fs.statSync(written).mode & 0o777, 0o644);
  assert.match(await ok(['get', 'ns', 'default', '-o', 'name'], { kubeconfig: written }), /namespace\/default/);
});

test('the join token pins the server CA and carries --token', () => {
  const token = fs.readFileSync(path.join(cluster().dataDir, 'server', 'node-token'), 'utf8').trim();
  const ca = fs.readFileSync(path.join(cluster().dataDir, 'server', 'tls', 'server-ca.crt'));
  assert.equal(token, `K10${crypto.createHash('sha256').update(ca).digest('hex')}::server:sekret`);
  assert.match(cluster().server.stdout(), new RegExp(`^${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
});

test('the serving certificate names the API server by every name clients use', () => {
  const cert = new crypto.X509Certificate(fs.readFileSync(path.join(cluster().dataDir, 'server', 'tls', 'serving-kube-apiserver.crt')));
  for (const name of ['DNS:localhost', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:tsk.example.test', 'IP Address:127.0.0.1', 'IP Address:10.43.0.1']) {
    assert.ok(cert.subjectAltName?.includes(name), `${name} in ${cert.subjectAltName}`);
  }
});
