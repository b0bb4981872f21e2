import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pemDecode, pemDecodeAll, pemEncode } from './pem.ts';
import { certSans, createCa, isSignedBy, issueClientCert, issueServingCert, type CertKey } from './pki.ts';
import { canonicalIp, firstIp, missingSans, wantedServingSans } from './sans.ts';
import { caHash, formatJoinToken } from './token.ts';

const DAY = 86_400_000;
let dir: string;
let ca: CertKey;
let otherCa: CertKey;
let serving: CertKey;
let client: CertKey;

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

/** openssl's exit status and output, without throwing. */
function openssl(...args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-pki-'));
  ca = await createCa('tsk-server-ca', new Date());
  otherCa = await createCa('tsk-server-ca');
  serving = await issueServingCert(ca, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes.default.svc.cluster.local', 'my.example.com'],
    ips: ['127.0.0.1', '10.43.0.1', 'fd00::1'],
  });
  client = await issueClientCert(ca, { commonName: 'system:admin', groups: ['system:masters', 'a,b=c'] });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('createCa', () => {
  test('self-signed P-256 CA, CN prefix@unix time, ~10 years', async () => {
    const now = new Date();
    const pair = await createCa('tsk-client-ca', now);
    const c = new crypto.X509Certificate(pair.certPem);
    assert.equal(c.subject, `CN=tsk-client-ca@${Math.floor(now.getTime() / 1000)}`);
    assert.equal(c.issuer, c.subject);
    assert.equal(c.ca, true);
    assert.ok(c.verify(c.publicKey));
    assert.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const years = (Date.parse(c.validTo) - now.getTime()) / (365 * DAY);
    assert.ok(years > 9.9 && years <= 10.01, `validity ${years} years`);
    assert.ok(Date.parse(c.validFrom) <= now.getTime());
    const text = openssl('x509', '-in', file('ca.crt', pair.certPem), '-noout', '-text').out;
    assert.match(text, /CA:TRUE/);
    assert.match(text, /Certificate Sign/);
    // The key is the certificate's.
    const pub = crypto.createPublicKey(pair.keyPem).export({ type: 'spki', format: 'der' });
    assert.ok(pub.equals(c.publicKey.export({ type: 'spki', format: 'der' })));
  });

  test('two CAs have different keys and serials', () => {
    const a = new crypto.X509Certificate(ca.certPem);
    const b = new crypto.X509Certificate(otherCa.certPem);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.ok(!a.verify(b.publicKey));
  });
});

describe('issueServingCert', () => {
  test('node: names, issuer, signature, validity', () => {
    const c = new crypto.X509Certificate(serving.certPem);
    const caCert = new crypto.X509Certificate(ca.certPem);
    assert.equal(c.subject, 'CN=kube-apiserver');
    assert.equal(c.issuer, caCert.subject);
    assert.ok(c.verify(caCert.publicKey));
    assert.ok(!c.verify(new crypto.X509Certificate(otherCa.certPem).publicKey));
    assert.ok(c.checkIssued(caCert));
    assert.equal(c.ca, false);
    assert.equal(c.checkHost('localhost'), 'localhost');
    assert.equal(c.checkHost('my.example.com'), 'my.example.com');
    assert.equal(c.checkHost('kubernetes.default.svc.cluster.local'), 'kubernetes.default.svc.cluster.local');
    assert.equal(c.checkHost('evil.example.com'), undefined);
    assert.equal(c.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(c.checkIP('10.43.0.1'), '10.43.0.1');
    assert.ok(c.checkIP('fd00::1'));
    assert.equal(c.checkIP('10.43.0.2'), undefined);
    const days = (Date.parse(c.validTo) - Date.now()) / DAY;
    assert.ok(days > 364 && days <= 365.01, `validity ${days} days`);
    assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });

  test('openssl: chain verifies for sslserver, not for sslclient, not against another CA', () => {
    const caFile = file('s-ca.crt', ca.certPem);
    const crt = file('s.crt', serving.certPem);
    assert.ok(openssl('verify', '-CAfile', caFile, '-purpose', 'sslserver', crt).ok);
    assert.ok(!openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', crt).ok);
    assert.ok(!openssl('verify', '-CAfile', file('o-ca.crt', otherCa.certPem), crt).ok);
    const text = openssl('x509', '-in', crt, '-noout', '-text').out;
    assert.match(text, /TLS Web Server Authentication/);
    assert.doesNotMatch(text, /TLS Web Client Authentication/);
    assert.match(text, /DNS:localhost, DNS:kubernetes\.default\.svc\.cluster\.local, DNS:my\.example\.com, IP Address:127\.0\.0\.1, IP Address:10\.43\.0\.1, IP Address:FD00:0:0:0:0:0:0:1/);
    assert.match(text, /CA:FALSE/);
  });

  test('certSans reads back what was written', () => {
    assert.deepEqual(certSans(serving.certPem), {
      dnsNames: ['localhost', 'kubernetes.default.svc.cluster.local', 'my.example.com'],
      ips: ['127.0.0.1', '10.43.0.1', 'fd00::1'],
    });
  });
});

describe('issueClientCert', () => {
  test('CN user, O groups (kept whole even with , and =), client auth only', () => {
    const c = new crypto.X509Certificate(client.certPem);
    assert.ok(c.verify(new crypto.X509Certificate(ca.certPem).publicKey));
    assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    const caFile = file('c-ca.crt', ca.certPem);
    const crt = file('c.crt', client.certPem);
    assert.ok(openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', crt).ok);
    assert.ok(!openssl('verify', '-CAfile', caFile, '-purpose', 'sslserver', crt).ok);
    const subject = openssl('x509', '-in', crt, '-noout', '-subject', '-nameopt', 'RFC2253').out.trim();
    assert.equal(subject, 'subject=CN=system:admin,O=a\\,b=c,O=system:masters');
    assert.match(openssl('x509', '-in', crt, '-noout', '-text').out, /TLS Web Client Authentication/);
  });

  test('isSignedBy checks the signature', () => {
    assert.ok(isSignedBy(client.certPem, ca.certPem));
    assert.ok(!isSignedBy(client.certPem, otherCa.certPem));
  });
});

describe('pem', () => {
  test('encode/decode round trip, bundles, missing label', () => {
    const der = pemDecode(ca.certPem, 'CERTIFICATE');
    assert.equal(pemEncode('CERTIFICATE', der), ca.certPem);
    const bundle = serving.certPem + ca.certPem;
    assert.deepEqual(pemDecodeAll(bundle).map((b) => b.label), ['CERTIFICATE', 'CERTIFICATE']);
    assert.throws(() => pemDecode(ca.certPem, 'PRIVATE KEY'), /no PEM block/);
    assert.equal(pemDecodeAll(serving.keyPem)[0]!.label, 'PRIVATE KEY');
    assert.throws(() => pemDecodeAll('-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n'), /malformed/);
  });
});

describe('sans', () => {
  test('canonicalIp', () => {
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(canonicalIp('FD00:0:0:0:0:0:0:1'), 'fd00::1');
    assert.equal(canonicalIp('::1'), '::1');
    assert.throws(() => canonicalIp('example.com'), /not an IP/);
  });

  test('firstIp', () => {
    assert.equal(firstIp('10.43.0.0/16'), '10.43.0.1');
    assert.equal(firstIp('10.43.200.9/16'), '10.43.0.1');
    assert.equal(firstIp('fd00:43::/112'), 'fd00:43::1');
    assert.throws(() => firstIp('10.43.0.0'), /CIDR/);
  });

  test('wantedServingSans: defaults, cluster domain, node IPs, dual-stack service CIDR, --tls-san', () => {
    const w = wantedServingSans({
      sans: ['My.Host', '192.168.9.9', '::ffff:1.2.3.4', ''],
      clusterDomain: 'corp.local',
      serviceCidr: '10.50.0.0/16,fd00:50::/112',
      nodeIps: ['192.168.1.5'],
    });
    assert.deepEqual(w.dnsNames, ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.corp.local', 'my.host']);
    assert.deepEqual(w.ips, ['127.0.0.1', '::1', '192.168.1.5', '10.50.0.1', 'fd00:50::1', '192.168.9.9', '1.2.3.4']);
    assert.ok(wantedServingSans({}).ips.includes('10.43.0.1'));
    assert.ok(wantedServingSans({}).dnsNames.includes('kubernetes.default.svc.cluster.local'));
  });

  test('missingSans compares case-insensitively and canonically', () => {
    const m = missingSans({ dnsNames: ['A.example', 'b.example'], ips: ['fd00::1', '10.0.0.1'] }, { dnsNames: ['a.EXAMPLE'], ips: ['FD00:0:0:0:0:0:0:1'] });
    assert.deepEqual(m, { dnsNames: ['b.example'], ips: ['10.0.0.1'] });
  });
});

describe('token', () => {
  test('caHash is the sha256 hex of the PEM bytes', () => {
    const f = file('hash-ca.crt', ca.certPem);
    const expected = openssl('dgst', '-sha256', '-r', f).out.split(' ')[0];
    assert.equal(caHash(ca.certPem), expected);
    assert.match(caHash(ca.certPem), /^[0-9a-f]{64}$/);
    assert.equal(formatJoinToken(ca.certPem, 's3cret'), `K10${expected}::server:s3cret`);
  });
});
