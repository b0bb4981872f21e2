/**
 * Client-certificate answers are kept per connection, but only until the certificate's
 * notAfter: past it, the same connection is refused, as kube-apiserver refuses it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import type { Request } from '../apiserver/http/body.ts';
import { createCa, issueClientCert } from '../auth/pki.ts';
import { requestAuthenticator } from './auth.ts';

describe('requestAuthenticator and client certificates', () => {
  it('one verification per connection, none past the certificate\'s end', async () => {
    const start = new Date();
    let now = start;
    const ca = await createCa('client', start);
    const alice = await issueClientCert(ca, { commonName: 'alice', groups: ['devs'], now: start });
    const x509 = new crypto.X509Certificate(alice.certPem);
    let looks = 0;
    const peer = {
      getPeerCertificate: () => {
        looks++;
        return { raw: x509.raw, valid_to: x509.validTo };
      },
    } as unknown as TLSSocket;
    const req = { headers: {}, stream: { session: {} } } as unknown as Request;
    const auth = requestAuthenticator({ clientCaPems: [ca.certPem], now: () => now });

    assert.equal((await auth.authenticate(req, peer))?.username, 'alice');
    now = new Date(Date.parse(x509.validTo) - 1000);
    assert.equal((await auth.authenticate(req, peer))?.username, 'alice');
    assert.equal(looks, 1, 'verified once while valid');
    now = new Date(Date.parse(x509.validTo) + 1000);
    await assert.rejects(auth.authenticate(req, peer), (err: Error & { code?: number }) => err.code === 401);
  });
});
