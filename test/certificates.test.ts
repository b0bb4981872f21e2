/**
 * Certificate renewal without a restart, with the real binary: a server whose leaves live 40 s
 * (TSK_TEST_CERT_LIFETIME_SECONDS) renews them while running — a new serving certificate over
 * TLS, a rewritten admin kubeconfig, a controller manager and scheduler that keep renewing
 * their Leases after the first certificates expired — with the same PID; `tsk certificate rotate` reaches a running server (and a stopped
 * one's files); `tsk certificate check` lists them.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startCluster, type TestCluster } from './lib/cluster.ts';
import { runTsk } from './lib/tsk.ts';
import { servedCert } from './lib/servedcert.ts';
import { until } from './lib/until.ts';

const clusters: TestCluster[] = [];
after(async () => {
  for (const c of clusters) await c.stop();
});

const fileSerial = (c: TestCluster, name: string) =>
  new crypto.X509Certificate(fs.readFileSync(path.join(c.dataDir, 'server', 'tls', name))).serialNumber;

async function ok(c: TestCluster, args: string[]): Promise<string> {
  const r = await c.kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

describe('short-lived certificates are renewed by the running server', () => {
  test('new serving cert over TLS, new admin kubeconfig, components renewing Leases after the first certs expired, same PID', async () => {
    const c = await startCluster([], { env: { TSK_TEST_CERT_LIFETIME_SECONDS: '40' } });
    clusters.push(c);
    const first = await servedCert(c.port);
    assert.ok(first.validTo - Date.now() < 60_000, 'the knob made a short-lived serving certificate');
    const firstKubeconfig = fs.readFileSync(c.kubeconfig, 'utf8');
    await ok(c, ['create', 'configmap', 'before']);

    const renewed = await until('a new serving certificate', async () => {
      const now = await servedCert(c.port);
      return now.serial !== first.serial ? now : undefined;
    }, 120_000);
    assert.ok(renewed.validTo > first.validTo);
    assert.equal(renewed.serial.toLowerCase(), fileSerial(c, 'serving-kube-apiserver.crt').toLowerCase());
    await until('a rewritten admin kubeconfig', async () => (fs.readFileSync(c.kubeconfig, 'utf8') !== firstKubeconfig ? true : undefined));

    // Past the first certificates' end: everything that started with them uses renewed ones.
    await until('the first certificates to expire', async () => (Date.now() > first.validTo + 1000 ? true : undefined), 120_000);
    assert.match(await ok(c, ['get', 'configmap', 'before', '-o', 'name']), /configmap\/before/);
    // The controller manager, the scheduler (their own client certificates), the API
    // server's endpoints reconciler (system:admin) and the deploy controller (system:tsk-deploy,
    // in memory) renew Leases: a renewal after the first certificates ended was made with renewed ones.
    for (const lease of [/^kube-controller-manager$/, /^kube-scheduler$/, /^apiserver-/, /^tsk-deploy$/]) {
      await until(`Lease ${lease} renewed with a renewed certificate`, async () => {
        const r = await c.kubectl(['get', 'leases', '-n', 'kube-system', '-o', 'json']);
        const items = r.code === 0 ? (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { renewTime?: string } }[] }).items : [];
        return items.some((l) => lease.test(l.metadata.name) && Date.parse(l.spec.renewTime ?? '') > first.validTo + 1000) ? true : undefined;
      });
    }
    assert.equal(c.server.stderr().match(/ server +started$/gm)?.length, 1, 'started once');
    process.kill(c.server.pid, 0); // the first process is still the server
    const renewals = c.server.stderr().match(/re-issued and in use: .*$/gm)?.join(', ') ?? '';
    for (const leaf of ['serving', 'admin', 'controllerManager', 'scheduler', 'kubeletClient']) assert.match(renewals, new RegExp(`\\b${leaf}\\b`));
  });
});

describe('tsk certificate rotate and check', () => {
  test('check lists the certificates; rotate reaches a running server, then a stopped one', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-certs-'));
    const c = await startCluster([], { dataDir });
    clusters.push(c);

    const check = await runTsk(['certificate', 'check', '--data-dir', dataDir]);
    assert.equal(check.code, 0, check.stderr);
    const rows = check.stdout.trim().split('\n');
    assert.match(rows[0]!, /^FILENAME +SUBJECT +USAGE +EXPIRES +RESIDUAL TIME +STATUS$/);
    assert.equal(rows.length, 8);
    assert.match(check.stdout, /^serving-kube-apiserver\.crt +CN=kube-apiserver +serving +\S+ +36[45]d +OK$/m);
    assert.match(check.stdout, /^server-ca\.crt +CN=tsk-server-ca@\d+ +CA +\S+ +36\d\dd +OK$/m);

    const before = await servedCert(c.port);
    const adminBefore = fileSerial(c, 'client-admin.crt');
    const kubeconfigBefore = fs.readFileSync(c.kubeconfig, 'utf8');
    const rotate = await runTsk(['certificate', 'rotate', '--data-dir', dataDir, '--service', 'api-server']);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, /^re-issued: serving, kubeletClient\nthe running server uses them now\n/);
    const after = await servedCert(c.port);
    assert.notEqual(after.serial, before.serial);
    assert.equal(after.serial.toLowerCase(), fileSerial(c, 'serving-kube-apiserver.crt').toLowerCase());
    assert.equal(fileSerial(c, 'client-admin.crt'), adminBefore, 'only the asked-for service');
    await ok(c, ['get', 'ns', 'default']);

    const all = await runTsk(['certificate', 'rotate', '--data-dir', dataDir]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^re-issued: serving, admin, controllerManager, scheduler, kubeletClient\n/);
    assert.notEqual(fs.readFileSync(c.kubeconfig, 'utf8'), kubeconfigBefore, 'the admin kubeconfig carries the new certificate');
    await ok(c, ['get', 'ns', 'default']);
    await ok(c, ['create', 'deployment', 'web', '--image', 'busybox']);
    await until('the controller manager to act with its rotated certificate', async () => {
      const r = await c.kubectl(['get', 'replicasets', '-l', 'app=web', '-o', 'name']);
      return r.code === 0 && /replicaset\.apps\/web-/.test(r.stdout) ? true : undefined;
    });
    process.kill(c.server.pid, 0);

    // Stopped: the files are re-issued directly, the serving names kept.
    await c.server.kill();
    const sans = new crypto.X509Certificate(fs.readFileSync(path.join(dataDir, 'server', 'tls', 'serving-kube-apiserver.crt'))).subjectAltName;
    const servingBefore = fileSerial(c, 'serving-kube-apiserver.crt');
    const offline = await runTsk(['certificate', 'rotate', '--data-dir', dataDir, '--service', 'api-server', '--service', 'admin']);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /^re-issued: serving, admin, kubeletClient\nthe server uses them from its next start\n/);
    assert.notEqual(fileSerial(c, 'serving-kube-apiserver.crt'), servingBefore);
    assert.equal(new crypto.X509Certificate(fs.readFileSync(path.join(dataDir, 'server', 'tls', 'serving-kube-apiserver.crt'))).subjectAltName, sans);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('without a server data dir, check and rotate say so', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-certs-empty-'));
    try {
      for (const cmd of ['check', 'rotate']) {
        const r = await runTsk(['certificate', cmd, '--data-dir', empty]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^tsk: no server certificates in \S+\/server\/tls: has "tsk server --data-dir \S+" run\?\n$/);
      }
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
