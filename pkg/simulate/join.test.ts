import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createCa, isSignedBy, issueServingCert, type CertKey } from '../auth/pki.ts';
import { formatJoinToken, parseJoinToken } from '../auth/token.ts';
import { SIMULATOR_USER, supervisorPaths } from '../server/supervisor.ts';
import { JoinError, splitCertAndKey } from '../agent/bootstrap.ts';
import { joinCredentials } from './join.ts';
import { DEFAULT_CLUSTER_NETWORK } from '../network/clusterconfig.ts';

/** The supervisor's paths alone on an HTTPS port, as the API server serves them ahead of authentication. */
describe('joining with a token', () => {
  let serverCa: CertKey;
  let clientCa: CertKey;
  let server: https.Server;
  let url: string;
  const secret = 'sekret';

  before(async () => {
    serverCa = await createCa('tsk-server-ca');
    clientCa = await createCa('tsk-client-ca');
    const serving = await issueServingCert(serverCa, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    const paths = supervisorPaths({ pki: { serverCa, clientCa }, secret, network: DEFAULT_CLUSTER_NETWORK });
    server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      const path = req.url!.split('?')[0]!;
      const handler = [...paths].find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
      if (!handler) return void res.writeHead(404).end();
      void handler(req, res, path, new URLSearchParams(), { username: 'system:anonymous', groups: [] });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('the token parses into the CA hash and the basic-auth credentials', () => {
    const token = formatJoinToken(serverCa.certPem, 'a:b');
    assert.deepEqual(parseJoinToken(token), { caHash: token.slice(3, 67), username: 'server', password: 'a:b' });
    assert.equal(parseJoinToken('K10abc::server:x'), undefined);
  });

  test('the right token gets the CA and a client certificate for the simulator identity', async () => {
    const creds = await joinCredentials(url, formatJoinToken(serverCa.certPem, secret), 'simulator');
    assert.equal(creds.ca, serverCa.certPem);
    assert.ok(isSignedBy(creds.cert as string, clientCa.certPem));
    const cert = new crypto.X509Certificate(creds.cert as string);
    assert.equal(cert.subject, `CN=${SIMULATOR_USER}`);
    assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(creds.key as string)));
  });

  test('a wrong secret is refused with a message naming --token', async () => {
    await assert.rejects(joinCredentials(url, formatJoinToken(serverCa.certPem, 'wrong'), 'simulator'), (err: Error) => {
      assert.ok(err instanceof JoinError);
      assert.match(err.message, /^--token: the server refused the join token \(HTTP 401\)$/);
      return true;
    });
  });

  test('a token for another CA is refused before the secret is sent', async () => {
    const other = await createCa('other');
    await assert.rejects(joinCredentials(url, formatJoinToken(other.certPem, secret), 'simulator'), /--token: the server's CA hash is [0-9a-f]{64}, the token expects/);
  });

  test('unknown identities are not issued', async () => {
    await assert.rejects(joinCredentials(url, formatJoinToken(serverCa.certPem, secret), 'admin'), /did not issue a certificate \(404/);
  });

  test('an unreachable server is named with --server', async () => {
    await assert.rejects(joinCredentials('https://127.0.0.1:1', formatJoinToken(serverCa.certPem, secret), 'simulator'), /cannot reach the server at https:\/\/127\.0\.0\.1:1 \(--server\)/);
  });

  test('the answer splits into the certificate chain and the key', () => {
    assert.equal(splitCertAndKey('nothing here'), undefined);
    const pair = splitCertAndKey(`${clientCa.certPem}${clientCa.keyPem}`)!;
    assert.equal(new crypto.X509Certificate(pair.cert).subject, new crypto.X509Certificate(clientCa.certPem).subject);
    assert.match(pair.key, /PRIVATE KEY-----\n$/);
  });
});
