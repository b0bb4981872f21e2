/**
 * Who gets into the kubelet API: certificates of the client CA only, and of those only the
 * API server's kubelet-client identity and system:masters. The runtime is never reached here.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { createCa, issueClientCert, issueServingCert, type CertKey } from '../../auth/pki.ts';
import { ADMIN_GROUP, KUBELET_CLIENT_USER } from '../../auth/serverpki.ts';
import type { KObject } from '../../api/types.ts';
import type { CriClient } from '../../cri/client.ts';
import { startKubeletServer, type KubeletServer } from './server.ts';

describe('kubelet API authentication and authorization', () => {
  let serverCa: CertKey;
  let server: KubeletServer;
  const clients: Record<string, CertKey> = {};
  const pods: KObject[] = [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }];

  before(async () => {
    serverCa = await createCa('server');
    const clientCa = await createCa('client');
    const otherCa = await createCa('other');
    const serving = await issueServingCert(serverCa, { commonName: 'node', dnsNames: [], ips: ['127.0.0.1'] });
    clients.apiserver = await issueClientCert(clientCa, { commonName: KUBELET_CLIENT_USER });
    clients.admin = await issueClientCert(clientCa, { commonName: 'system:admin', groups: [ADMIN_GROUP] });
    clients.node = await issueClientCert(clientCa, { commonName: 'system:node:other', groups: ['system:nodes'] });
    clients.stranger = await issueClientCert(otherCa, { commonName: KUBELET_CLIENT_USER });
    server = await startKubeletServer({
      port: 0,
      host: '127.0.0.1',
      serving: { cert: serving.certPem, key: serving.keyPem },
      clientCa: clientCa.certPem,
      runtime: {} as CriClient,
      pods: { get: async () => undefined, list: async () => pods },
    });
  });
  after(() => server?.close());

  const get = (path: string, client?: CertKey) =>
    new Promise<{ code: number; body: string; type?: string }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: server.address.port, path, ca: serverCa.certPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}), agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode!, body, type: res.headers['content-type'] }));
      });
      req.on('error', reject);
    });

  it('401 without a certificate, or with one from another CA', async () => {
    assert.equal((await get('/healthz')).code, 401);
    assert.equal((await get('/healthz', clients.stranger)).code, 401);
  });

  it('403 for identities other than the API server and system:masters', async () => {
    const r = await get('/pods', clients.node);
    assert.equal(r.code, 403);
    assert.match(r.body, /Forbidden \(user=system:node:other/);
  });

  it('the API server and system:masters get /healthz and /pods', async () => {
    assert.deepEqual(await get('/healthz', clients.apiserver), { code: 200, body: 'ok', type: 'text/plain; charset=utf-8' });
    const list = JSON.parse((await get('/pods', clients.admin)).body);
    assert.equal(list.kind, 'PodList');
    assert.deepEqual(list.items, pods);
  });

  it('a pod it does not run is 404 in the kubelet words; exec without upgrade is 400', async () => {
    const r = await get('/containerLogs/default/nope/main', clients.apiserver);
    assert.deepEqual({ code: r.code, body: r.body }, { code: 404, body: 'pod "nope" does not exist' });
    assert.equal((await get('/exec/default/p/main?command=ls&stdout=1', clients.apiserver)).code, 400);
  });

  it('a renewed serving certificate is served to new connections, client authentication unchanged', async () => {
    const serial = () => new Promise<string>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: server.address.port, path: '/healthz', ca: serverCa.certPem, cert: clients.apiserver!.certPem, key: clients.apiserver!.keyPem, agent: false }, (res) => {
        const s = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(s) : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
    });
    const before = await serial();
    const renewed = await issueServingCert(serverCa, { commonName: 'node', dnsNames: [], ips: ['127.0.0.1'] });
    server.setServing({ cert: renewed.certPem, key: renewed.keyPem });
    const after = await serial();
    assert.notEqual(after, before);
    assert.equal(after.toLowerCase(), new crypto.X509Certificate(renewed.certPem).serialNumber.toLowerCase());
    assert.equal((await get('/healthz', clients.stranger)).code, 401, 'the client CA still applies');
  });

  it('/metrics/resource is Prometheus text; a runtime that does not answer is a scrape error, the node is still there', async () => {
    assert.equal((await get('/metrics/resource', clients.node)).code, 403);
    const r = await get('/metrics/resource', clients.apiserver);
    assert.equal(r.code, 200);
    assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(r.body, /^node_cpu_usage_seconds_total [0-9.e+]+ \d+$/m);
    assert.match(r.body, /^node_memory_working_set_bytes [0-9.e+]+ \d+$/m);
    assert.match(r.body, /^resource_scrape_error 1$/m);
    assert.doesNotMatch(r.body, /^container_/m);
  });
});
