/**
 * A renewed client certificate: requests after setClientCertificate present it, while a
 * stream opened before (a watch) runs on over the old session to its end.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createCa, issueClientCert, issueServingCert } from '../auth/pki.ts';
import { Client } from './client.ts';

describe('Client.setClientCertificate', () => {
  let server: http2.Http2SecureServer;
  let url: string;
  let ca: string;
  let clientCa: Awaited<ReturnType<typeof createCa>>;
  const held: http2.Http2ServerResponse[] = [];

  before(async () => {
    const serverCa = await createCa('s');
    clientCa = await createCa('c');
    ca = serverCa.certPem;
    const serving = await issueServingCert(serverCa, { commonName: 'api', dnsNames: [], ips: ['127.0.0.1'] });
    server = http2.createSecureServer({ cert: serving.certPem, key: serving.keyPem, ca: clientCa.certPem, requestCert: true, rejectUnauthorized: true });
    server.on('request', (req, res) => {
      const cn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url.includes('watch=')) {
        // A watch: one event now, the end when the test says so.
        res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: cn } } })}\n`);
        held.push(res);
        return;
      }
      res.end(JSON.stringify({ metadata: { name: cn } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('later requests present the new certificate; an open watch finishes on the old session', async () => {
    const first = await issueClientCert(clientCa, { commonName: 'first' });
    const second = await issueClientCert(clientCa, { commonName: 'second' });
    const client = new Client({ server: url, ca, cert: first.certPem, key: first.keyPem });
    try {
      assert.equal((await client.get('/x')).metadata.name, 'first');
      const watch = client.watch('/w');
      const events = watch[Symbol.asyncIterator]();
      assert.equal(((await events.next()).value as { object: { metadata: { name: string } } }).object.metadata.name, 'first');
      client.setClientCertificate(second.certPem, second.keyPem);
      assert.equal((await client.get('/x')).metadata.name, 'second');
      held.shift()!.end();
      assert.equal((await events.next()).done, true, 'the watch ended normally, not cut');
    } finally {
      client.close();
    }
  });
});
