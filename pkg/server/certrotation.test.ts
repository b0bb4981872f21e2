import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { ensureServerPki, type ServerPki } from '../auth/serverpki.ts';
import type { ServerConfig } from '../cli/commands.ts';
import { dataDirLayout } from '../datadir/layout.ts';
import type { RunningApiServer } from './apiserver.ts';
import { startCertRotation } from './certrotation.ts';
import type { RunningComponents } from './components.ts';
import { servingSanOptions } from './credentials.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A server's PKI on disk and fakes of what certrotation.ts puts leaves into, recording what they got. */
async function setUp(t: TestContext) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-certrotation-'));
  roots.push(root);
  const layout = dataDirLayout(root);
  fs.mkdirSync(layout.server.cred, { recursive: true });
  const config = {
    bindAddress: '127.0.0.1', advertiseAddress: undefined, tlsSans: [], clusterDomain: 'cluster.local', serviceCidr: '10.43.0.0/16',
    agent: undefined, writeKubeconfig: path.join(root, 'out', 'kubeconfig'), writeKubeconfigMode: 0o600,
  } as unknown as ServerConfig;
  const pki: ServerPki = await ensureServerPki(layout.server.tls, servingSanOptions(config));
  const got = { serving: [] as string[], admin: [] as string[], controllerManager: [] as string[], failIdentities: 0 };
  const apiServer = {
    pki,
    adminClients: [{ setClientCertificate: (cert: string) => got.admin.push(cert) }],
    api: { server: { setTls: (tls: { certPem: string }) => got.serving.push(tls.certPem), address: { port: 6443 } }, ctx: {} },
  } as unknown as RunningApiServer;
  const components = {
    setIdentities: (ids: { controllerManager: { certPem: string } }) => {
      if (got.failIdentities-- > 0) throw new Error('worker gone');
      got.controllerManager.push(ids.controllerManager.certPem);
    },
  } as unknown as RunningComponents;
  const rotation = startCertRotation(config, layout, { apiServer, components });
  t.after(() => rotation.stop());
  const onDisk = (file: string) => fs.readFileSync(file, 'utf8');
  return { root, config, pki, files: pki.files, got, rotation, onDisk, first: { ...pki } };
}

describe('certificate rotation in a running server', () => {
  test('a leaf written by a pass that failed afterwards is put into use by the next pass', async (t) => {
    const { pki, files, got, rotation, onDisk, first } = await setUp(t);
    // The admin key unreadable: ensureServerPki writes the new serving pair, then throws.
    const adminKey = onDisk(files.admin.key);
    fs.rmSync(files.admin.key);
    fs.mkdirSync(files.admin.key);
    await assert.rejects(rotation.check(['api-server']), /EISDIR/);
    assert.notEqual(onDisk(files.serving.cert), first.serving.certPem, 'the new serving certificate is on disk');
    assert.deepEqual(got.serving, [], 'but not in use');

    fs.rmdirSync(files.admin.key);
    fs.writeFileSync(files.admin.key, adminKey, { mode: 0o600 });
    assert.deepEqual(await rotation.check(), ['serving'], 'nothing is due, the serving certificate is put into use');
    assert.deepEqual(got.serving, [onDisk(files.serving.cert)]);
    assert.equal(pki.serving.certPem, onDisk(files.serving.cert), 'recorded as in use');
    assert.deepEqual(await rotation.check(), [], 'and not again');
    assert.equal(got.serving.length, 1);
  });

  test('a pair whose key was replaced but not its certificate (a write cut short) is re-issued and put into use', async (t) => {
    const { root, files, got, rotation, onDisk, first } = await setUp(t);
    fs.writeFileSync(files.serving.key, (await ensureServerPki(path.join(root, 'other'))).serving.keyPem);
    assert.deepEqual(await rotation.check(), ['serving']);
    assert.notEqual(onDisk(files.serving.cert), first.serving.certPem);
    assert.deepEqual(got.serving, [onDisk(files.serving.cert)]);
    assert.ok(crypto.createPublicKey(onDisk(files.serving.key)).equals(new crypto.X509Certificate(got.serving[0]!).publicKey), 'the pair in use matches');
  });

  test('a failed admin kubeconfig write is retried by the next pass; in-process clients switch meanwhile', async (t) => {
    const { root, config, files, got, rotation, onDisk, first } = await setUp(t);
    fs.writeFileSync(path.join(root, 'out'), 'a file where the kubeconfig folder should be');
    await assert.rejects(rotation.check(['admin']), /EEXIST|ENOTDIR/);
    const admin = onDisk(files.admin.cert);
    assert.notEqual(admin, first.admin.certPem);
    assert.deepEqual(got.admin, [admin]);

    fs.rmSync(path.join(root, 'out'));
    assert.deepEqual(await rotation.check(), ['admin']);
    assert.ok(onDisk(config.writeKubeconfig!).includes(Buffer.from(admin).toString('base64')), '--write-kubeconfig carries the new certificate');
    assert.deepEqual(await rotation.check(), []);
  });

  test('a put that fails once is retried on the next pass; the other leaves go into use meanwhile', async (t) => {
    const { files, got, rotation, onDisk } = await setUp(t);
    got.failIdentities = 1;
    await assert.rejects(rotation.check(['controller-manager', 'scheduler', 'api-server']), /worker gone/);
    assert.deepEqual(got.serving, [onDisk(files.serving.cert)]);
    assert.deepEqual(got.controllerManager, []);

    assert.deepEqual(await rotation.check(), ['controllerManager', 'scheduler']);
    assert.deepEqual(got.controllerManager, [onDisk(files.controllerManager.cert)]);
    assert.deepEqual(await rotation.check(), []);
  });
});
