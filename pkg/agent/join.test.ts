import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KObject } from '../api/types.ts';
import type { NodePasswordSecrets } from '../auth/node/password.ts';
import { parseAgentJoinToken } from '../auth/node/token.ts';
import { createCa, issueServingCert, type CertKey } from '../auth/pki.ts';
import { formatJoinToken } from '../auth/token.ts';
import { setLogSink } from '../log/log.ts';
import { DEFAULT_CLUSTER_NETWORK } from '../network/clusterconfig.ts';
import { supervisorPaths } from '../server/supervisor.ts';
import { fetchClusterNetwork, JoinError, ServerUnavailable } from './bootstrap.ts';
import { agentFiles, readClusterNetwork, readStoredAgent, writeAgentCredentials, writeClusterNetwork, writeNodeConfig } from './files.ts';
import { fetchNodeCredentials, onAnyServer, retryWhileUnavailable } from './join.ts';
import { renewIfExpiring } from './renew.ts';

function memorySecrets(): NodePasswordSecrets {
  const objects = new Map<string, KObject>();
  return {
    read: async (ns, name) => objects.get(`${ns}/${name}`),
    create: async (s) => !objects.has(`${s.metadata.namespace}/${s.metadata.name}`) && !!objects.set(`${s.metadata.namespace}/${s.metadata.name}`, s),
    delete: async (ns, name) => void objects.delete(`${ns}/${name}`),
  };
}

/** The supervisor alone on an HTTPS port; the first `unavailable` requests get 503, as from a server still starting. */
describe('agent credentials from the supervisor', () => {
  let serverCa: CertKey;
  let clientCa: CertKey;
  let server: https.Server;
  let url: string;
  let unavailable = 0;
  const network = { ...DEFAULT_CLUSTER_NETWORK, clusterCidr: '10.60.0.0/16', flannelBackend: 'host-gw' as const, disabled: ['servicelb'] };
  const secret = 'sekret';
  const logged: string[] = [];
  let restoreLog: (line: string) => void;

  before(async () => {
    restoreLog = setLogSink((line) => logged.push(line));
    serverCa = await createCa('tsk-server-ca');
    clientCa = await createCa('tsk-client-ca');
    const serving = await issueServingCert(serverCa, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    const passwords = memorySecrets();
    const paths = supervisorPaths({ pki: { serverCa, clientCa }, secret, network, nodePasswords: () => passwords });
    server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      if (unavailable > 0) {
        unavailable--;
        return void res.writeHead(503).end('starting');
      }
      const p = req.url!.split('?')[0]!;
      const handler = [...paths].find(([prefix]) => p === prefix || p.startsWith(`${prefix}/`))?.[1];
      if (!handler) return void res.writeHead(404).end();
      void handler(req, res, p, new URLSearchParams(), { username: 'system:anonymous', groups: [] });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    setLogSink(restoreLog);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const token = () => parseAgentJoinToken(formatJoinToken(serverCa.certPem, secret))!;

  test('the server\'s network settings come with the join secret, and are stored for restarts', async () => {
    const fetched = await fetchClusterNetwork(url, serverCa.certPem, token());
    assert.deepEqual(fetched, network);
    await assert.rejects(fetchClusterNetwork(url, serverCa.certPem, parseAgentJoinToken('K10::server:wrong')!), /--token: the server refused the join token/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-agent-net-'));
    try {
      const files = agentFiles(dir);
      assert.equal(readClusterNetwork(files), undefined);
      writeClusterNetwork(files, fetched);
      assert.deepEqual(readClusterNetwork(files), network);
      assert.equal(fs.statSync(files.clusterNetwork).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  const node = { nodeName: 'pi-1', nodeIp: '10.1.2.3', password: 'pw' };

  test('a server answering 503 is retried with back-off, each retry logged', async () => {
    unavailable = 2;
    const creds = await retryWhileUnavailable(() => fetchNodeCredentials(url, token(), node), new Promise(() => {}));
    assert.equal(new crypto.X509Certificate(creds!.client.cert).subject, 'O=system:nodes\nCN=system:node:pi-1');
    assert.equal(creds!.clientCa, clientCa.certPem, 'the client CA, for the kubelet API to trust the API server');
    assert.equal(logged.filter((l) => /answered \/cacerts with 503: starting; retrying in/.test(l)).length, 2);
    assert.match(logged.join(''), /retrying in 1 s[\s\S]*retrying in 2 s/);
  });

  test('stopping ends the retries', async () => {
    unavailable = 1000;
    const stopped = Promise.resolve();
    assert.equal(await retryWhileUnavailable(() => fetchNodeCredentials(url, token(), node), stopped), undefined);
    unavailable = 0;
  });

  test('stored credentials read back; renewal only close to expiry, with the same password', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-agent-files-'));
    try {
      const files = agentFiles(dir);
      const creds = await fetchNodeCredentials(url, token(), node);
      writeAgentCredentials(files, creds);
      const config = { server: url, nodeName: 'pi-1', nodeIp: '10.1.2.3', nodeLabels: [], nodeTaints: [], kubeletPort: 10250 };
      writeNodeConfig(files, config, formatJoinToken(serverCa.certPem, secret));
      const stored = readStoredAgent(files);
      assert.deepEqual(stored.creds, creds);
      assert.deepEqual(stored.config, config);
      const renewal = { files, node: config, token: token(), password: 'pw' };
      const never = new Promise(() => {});
      assert.equal(await renewIfExpiring(renewal, creds, never), undefined, 'a year left: nothing to do');
      const inElevenMonths = new Date(Date.now() + 330 * 86_400_000);
      const fresh = await renewIfExpiring(renewal, creds, never, inElevenMonths);
      assert.ok(fresh);
      assert.notEqual(fresh.client.cert, creds.client.cert);
      assert.equal(fs.readFileSync(files.clientCert, 'utf8'), fresh.client.cert, 'the files are rewritten');
      await assert.rejects(renewIfExpiring({ ...renewal, password: 'another' }, creds, never, inElevenMonths), /already registered with another node password/);
      // A renewal pins the CA the node already trusts: a server presenting another CA is not
      // trusted on first use, even with a token that carries no CA hash.
      const noHash = { ...token(), caHash: undefined };
      const impostor = await createCa('someone-else');
      await assert.rejects(fetchNodeCredentials(url, noHash, node, impostor.certPem), /cannot reach the server|certificate/);
      assert.ok(await fetchNodeCredentials(url, noHash, node, serverCa.certPem));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a request the joined server cannot answer goes to the next server the agent learned, and a refusal does not', async () => {
  const asked: string[] = [];
  const down = (server: string) => Promise.reject(new ServerUnavailable(`${server} is down`));
  assert.equal(await onAnyServer(['https://a:6443', 'https://b:6443', 'https://a:6443'], async (server) => {
    asked.push(server);
    return server === 'https://a:6443' ? down(server) : 'from b';
  }), 'from b');
  assert.deepEqual(asked, ['https://a:6443', 'https://b:6443']);
  await assert.rejects(onAnyServer(['https://a:6443', 'https://b:6443'], down), (err: Error) => err instanceof ServerUnavailable && /b:6443 is down/.test(err.message));
  let tried = 0;
  await assert.rejects(onAnyServer(['https://a:6443', 'https://b:6443'], async () => {
    tried++;
    throw new JoinError('the server refused the token');
  }), /refused the token/);
  assert.equal(tried, 1, 'a refusal is an answer: the other servers would give the same');
});
