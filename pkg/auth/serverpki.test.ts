import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { describeCerts, formatCertTable } from './certservices.ts';
import { certSans, createCa, issueClientCert, issueServingCert, type CertKey } from './pki.ts';
import { ensureServerPki, PKI_FILES, type ServerPki } from './serverpki.ts';

const OPTS = { sans: ['tsk.example.com', '192.0.2.10'], clusterDomain: 'cluster.local', serviceCidr: '10.43.0.0/16', nodeIps: ['192.168.1.5'] };
const DAY = 86_400_000;
const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-serverpki-'));
  dirs.push(d);
  return path.join(d, 'server', 'tls');
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const mode = (f: string): number => fs.statSync(f).mode & 0o777;
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));

describe('ensureServerPki', () => {
  test('first start creates all pairs with k3s file names, keys 0600, dir 0700, no temp files', async () => {
    const dir = tmp();
    const pki = await ensureServerPki(dir, OPTS);
    assert.deepEqual(pki.issued, ['serverCa', 'clientCa', 'serving', 'admin', 'controllerManager', 'scheduler', 'kubeletClient']);
    const want = Object.values(PKI_FILES).flatMap((b) => [`${b}.crt`, `${b}.key`]).sort();
    assert.deepEqual(fs.readdirSync(dir).sort(), want);
    assert.equal(mode(dir), 0o700);
    for (const b of Object.values(PKI_FILES)) {
      assert.equal(mode(path.join(dir, `${b}.key`)), 0o600, b);
      assert.equal(mode(path.join(dir, `${b}.crt`)), 0o644, b);
    }
    assert.equal(fs.readFileSync(pki.files.serverCa.cert, 'utf8'), pki.serverCa.certPem);
    const serving = new crypto.X509Certificate(pki.serving.certPem);
    assert.ok(serving.verify(new crypto.X509Certificate(pki.serverCa.certPem).publicKey));
    for (const h of ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'tsk.example.com']) {
      assert.equal(serving.checkHost(h), h);
    }
    for (const ip of ['127.0.0.1', '192.168.1.5', '10.43.0.1', '192.0.2.10']) assert.equal(serving.checkIP(ip), ip);
    const admin = new crypto.X509Certificate(pki.admin.certPem);
    assert.equal(admin.subject, 'O=system:masters\nCN=system:admin');
    assert.ok(admin.verify(new crypto.X509Certificate(pki.clientCa.certPem).publicKey));
    assert.ok(!admin.verify(new crypto.X509Certificate(pki.serverCa.certPem).publicKey), 'admin is signed by the client CA');
    assert.match(new crypto.X509Certificate(pki.serverCa.certPem).subject, /^CN=tsk-server-ca@\d+$/);
    assert.match(new crypto.X509Certificate(pki.clientCa.certPem).subject, /^CN=tsk-client-ca@\d+$/);
  });

  test('second start reuses everything; an added SAN re-issues only the serving cert, keeping old names', async () => {
    const dir = tmp();
    await ensureServerPki(dir, OPTS);
    const first = snapshot(dir);
    const again = await ensureServerPki(dir, OPTS);
    assert.deepEqual(again.issued, []);
    assert.deepEqual(snapshot(dir), first);

    const more = await ensureServerPki(dir, { ...OPTS, sans: ['new.example.com'], nodeIps: ['192.168.1.6'] });
    assert.deepEqual(more.issued, ['serving']);
    const now = snapshot(dir);
    for (const f of Object.keys(first)) {
      if (f.startsWith('serving-')) assert.notEqual(now[f], first[f], f);
      else assert.equal(now[f], first[f], f);
    }
    const c = new crypto.X509Certificate(more.serving.certPem);
    assert.ok(c.verify(new crypto.X509Certificate(more.serverCa.certPem).publicKey));
    for (const h of ['new.example.com', 'tsk.example.com']) assert.equal(c.checkHost(h), h);
    for (const ip of ['192.168.1.6', '192.168.1.5', '192.0.2.10']) assert.equal(c.checkIP(ip), ip);
    assert.deepEqual((await ensureServerPki(dir, { ...OPTS, sans: ['new.example.com'] })).issued, []);
  });

  test('a leaf due for renewal is re-issued by the same CA, keeping every serving name; CAs are kept', async () => {
    const dir = tmp();
    const first = await ensureServerPki(dir, { ...OPTS, sans: [...OPTS.sans, 'old.example.com'] });
    const policy = { leafValidityMs: 365 * DAY, renewWithinMs: 90 * DAY, checkIntervalMs: DAY };
    // 274 days on: 91 days left, not due. 276 days on: 89 days left, all leaves due.
    assert.deepEqual((await ensureServerPki(dir, { ...OPTS, policy, now: new Date(Date.now() + 274 * DAY) })).issued, []);
    const later = new Date(Date.now() + 276 * DAY);
    const renewed = await ensureServerPki(dir, { ...OPTS, policy, now: later });
    assert.deepEqual(renewed.issued, ['serving', 'admin', 'controllerManager', 'scheduler', 'kubeletClient']);
    assert.equal(renewed.serverCa.certPem, first.serverCa.certPem);
    assert.equal(renewed.clientCa.certPem, first.clientCa.certPem);
    const before = new crypto.X509Certificate(first.serving.certPem);
    const after = new crypto.X509Certificate(renewed.serving.certPem);
    assert.notEqual(after.serialNumber, before.serialNumber);
    assert.ok(after.verify(new crypto.X509Certificate(first.serverCa.certPem).publicKey));
    assert.ok(Date.parse(after.validTo) > Date.parse(before.validTo));
    assert.deepEqual(certSans(renewed.serving.certPem), certSans(first.serving.certPem), 'old.example.com stays although no longer asked for');
    assert.equal(new crypto.X509Certificate(renewed.admin.certPem).subject, 'O=system:masters\nCN=system:admin');
  });

  test('force re-issues exactly the named leaves; servingNames replaces the computed names', async () => {
    const dir = tmp();
    const first = await ensureServerPki(dir, OPTS);
    const p = await ensureServerPki(dir, { ...OPTS, force: ['admin', 'serving'] });
    assert.deepEqual(p.issued, ['serving', 'admin']);
    assert.notEqual(p.admin.certPem, first.admin.certPem);
    assert.equal(p.scheduler.certPem, first.scheduler.certPem);
    const names = certSans(first.serving.certPem);
    const q = await ensureServerPki(dir, { servingNames: names, force: ['serving'] });
    assert.deepEqual(certSans(q.serving.certPem), names, 'no default service IP or domain added');
  });

  test('describeCerts marks leaves due for renewal, never a CA', async () => {
    const dir = tmp();
    await ensureServerPki(dir, OPTS);
    const policy = { leafValidityMs: 365 * DAY, renewWithinMs: 90 * DAY, checkIntervalMs: DAY };
    const byFile = (now: Date) => Object.fromEntries(describeCerts(dir, now, policy).map((r) => [path.basename(r.file), r.status]));
    assert.deepEqual(new Set(Object.values(byFile(new Date()))), new Set(['OK']));
    const late = byFile(new Date(Date.now() + 300 * DAY));
    assert.equal(late['server-ca.crt'], 'OK');
    assert.equal(late['serving-kube-apiserver.crt'], 'RENEW');
    assert.equal(byFile(new Date(Date.now() + 400 * DAY))['client-admin.crt'], 'EXPIRED');
    fs.rmSync(path.join(dir, 'client-scheduler.crt'));
    assert.equal(byFile(new Date())['client-scheduler.crt'], 'MISSING');
    assert.match(formatCertTable(describeCerts(dir)), /^FILENAME +SUBJECT +USAGE +EXPIRES +RESIDUAL TIME +STATUS\nserver-ca\.crt +CN=tsk-server-ca@\d+ +CA +\d{4}-/);
  });

  test('repairs leaves (missing, foreign, mismatched key), refuses a CA without its key', async () => {
    const dir = tmp();
    const pki = await ensureServerPki(dir, OPTS);
    fs.rmSync(pki.files.admin.cert);
    const other = await createCa('tsk-server-ca');
    const foreign = await issueServingCert(other, { commonName: 'x', dnsNames: ['localhost'], ips: [] });
    fs.writeFileSync(pki.files.serving.cert, foreign.certPem);
    let p = await ensureServerPki(dir, OPTS);
    assert.deepEqual(p.issued, ['serving', 'admin']);
    assert.equal(p.serverCa.certPem, pki.serverCa.certPem);

    fs.writeFileSync(pki.files.admin.key, (await issueClientCert(p.clientCa, { commonName: 'y' })).keyPem);
    p = await ensureServerPki(dir, OPTS);
    assert.deepEqual(p.issued, ['admin']);

    fs.rmSync(pki.files.clientCa.key);
    await assert.rejects(ensureServerPki(dir, OPTS), /client-ca\.key is missing/);
    fs.writeFileSync(pki.files.clientCa.key, other.keyPem);
    await assert.rejects(ensureServerPki(dir, OPTS), /is not the key of/);
  });
});

describe('TLS handshake with the issued certificates', () => {
  let pki: ServerPki;
  let stranger: { ca: CertKey; serving: CertKey; client: CertKey };
  before(async () => {
    pki = await ensureServerPki(tmp(), OPTS);
    const ca = await createCa('tsk-server-ca');
    stranger = {
      ca,
      serving: await issueServingCert(ca, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1'] }),
      client: await issueClientCert(ca, { commonName: 'system:admin', groups: ['system:masters'] }),
    };
  });

  /** A server that answers with the verified client's subject, or 401. */
  async function withServer(serving: CertKey, fn: (port: number) => Promise<void>): Promise<void> {
    const server = https.createServer(
      { key: serving.keyPem, cert: serving.certPem, ca: pki.clientCa.certPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const sock = req.socket as TLSSocket;
        if (!sock.authorized) {
          res.writeHead(401).end(String(sock.authorizationError));
          return;
        }
        const s = sock.getPeerCertificate().subject;
        res.end(`${s.CN}/${String(s.O)}`);
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await fn((server.address() as AddressInfo).port);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }

  function get(port: number, host: string, client: CertKey, extra: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          // Names other than localhost are checked as SNI over a connection to 127.0.0.1.
          ...(net.isIP(host) || host === 'localhost' ? { host } : { host: '127.0.0.1', servername: host }),
          port, path: '/', ca: pki.serverCa.certPem, cert: client.certPem, key: client.keyPem, rejectUnauthorized: true, agent: false, ...extra,
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  test('succeeds against 127.0.0.1 and localhost; the server sees system:admin in system:masters', async () => {
    await withServer(pki.serving, async (port) => {
      for (const host of ['127.0.0.1', 'localhost', 'tsk.example.com', 'kubernetes.default.svc']) {
        assert.deepEqual(await get(port, host, pki.admin), { status: 200, body: 'system:admin/system:masters' }, host);
      }
    });
  });

  test('fails for a name not in the SANs, a serving cert from another CA, a client cert from another CA', async () => {
    await withServer(pki.serving, async (port) => {
      await assert.rejects(get(port, 'evil.example.com', pki.admin), (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
      const r = await get(port, '127.0.0.1', stranger.client);
      assert.equal(r.status, 401);
    });
    await withServer(stranger.serving, async (port) => {
      await assert.rejects(get(port, '127.0.0.1', pki.admin), (e: NodeJS.ErrnoException) => e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });
  });
});
