import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { certSans, createCa, isSignedBy, type CertKey } from '../pki.ts';
import { answerKubeletCertRequest } from './certificates.ts';
import { nodePasswordCleanup, type NodePasswordSecrets } from './password.ts';

/** The API server's Secrets, in memory. */
function memorySecrets(): NodePasswordSecrets & { objects: Map<string, KObject> } {
  const objects = new Map<string, KObject>();
  return {
    objects,
    read: async (ns, name) => objects.get(`${ns}/${name}`),
    create: async (secret) => {
      const key = `${secret.metadata.namespace}/${secret.metadata.name}`;
      if (objects.has(key)) return false;
      objects.set(key, secret);
      return true;
    },
    delete: async (ns, name) => void objects.delete(`${ns}/${name}`),
  };
}

describe('kubelet certificates from the supervisor', () => {
  let clientCa: CertKey;
  let serverCa: CertKey;
  before(async () => {
    clientCa = await createCa('client');
    serverCa = await createCa('server');
  });
  const headers = (name: string, password: string, ip = '') => ({ 'tsk-node-name': name, 'tsk-node-password': password, 'tsk-node-ip': ip });

  test('a client certificate for system:node:NAME in system:nodes, a serving one for its names and IPs', async () => {
    const secrets = memorySecrets();
    const client = await answerKubeletCertRequest('client', headers('pi-1', 'pw'), { clientCa, serverCa }, secrets);
    assert.equal(client.status, 200);
    assert.ok(isSignedBy(client.body, clientCa.certPem));
    assert.equal(new crypto.X509Certificate(client.body).subject, 'O=system:nodes\nCN=system:node:pi-1');
    const serving = await answerKubeletCertRequest('serving', headers('pi-1', 'pw', '10.0.0.7'), { clientCa, serverCa }, secrets);
    assert.equal(serving.status, 200);
    assert.ok(isSignedBy(serving.body, serverCa.certPem));
    assert.deepEqual(certSans(serving.body), { dnsNames: ['pi-1', 'localhost'], ips: ['10.0.0.7', '127.0.0.1'] });
    assert.match(serving.body, /PRIVATE KEY-----\n$/);
  });

  test('the first password keeps the name; another is refused until the Secret goes', async () => {
    const secrets = memorySecrets();
    const cas = { clientCa, serverCa };
    assert.equal((await answerKubeletCertRequest('client', headers('n', 'first'), cas, secrets)).status, 200);
    const secret = secrets.objects.get('kube-system/n.node-password.tsk')!;
    assert.equal(secret.type, 'tsk.io/node-password');
    assert.doesNotMatch(Buffer.from(secret.data.hash, 'base64').toString(), /first/, 'only a hash is stored');
    assert.equal((await answerKubeletCertRequest('serving', headers('n', 'first'), cas, secrets)).status, 200);
    const refused = await answerKubeletCertRequest('client', headers('n', 'second'), cas, secrets);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /^node "n" is already registered with another node password: choose another --node-name, or delete the Node/);
    nodePasswordCleanup(secrets, () => assert.fail('no error expected'))('n');
    await new Promise((r) => setImmediate(r));
    assert.equal((await answerKubeletCertRequest('client', headers('n', 'second'), cas, secrets)).status, 200);
  });

  test('two first requests at once agree on one password', async () => {
    const secrets = memorySecrets();
    const answers = await Promise.all([
      answerKubeletCertRequest('client', headers('twin', 'same'), { clientCa, serverCa }, secrets),
      answerKubeletCertRequest('serving', headers('twin', 'same'), { clientCa, serverCa }, secrets),
    ]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200]);
  });

  test('bad headers are refused with 400 and say which', async () => {
    const secrets = memorySecrets();
    const cas = { clientCa, serverCa };
    assert.match((await answerKubeletCertRequest('client', headers('Bad_Name', 'pw'), cas, secrets)).body, /tsk-node-name header must be a node name/);
    assert.match((await answerKubeletCertRequest('client', headers('ok', ''), cas, secrets)).body, /tsk-node-password header is required/);
    assert.match((await answerKubeletCertRequest('serving', headers('ok', 'pw', 'x.y'), cas, secrets)).body, /must list IP addresses, got "x.y"/);
    assert.equal(secrets.objects.size, 0);
  });
});
