/**
 * The server's own node renews its kubelet certificates without a restart: with leaves living
 * 40 s (TSK_TEST_CERT_LIFETIME_SECONDS), the kubelet's HTTPS API presents a new serving
 * certificate, and after the first certificates ended the node still heartbeats (its client
 * certificate) and `kubectl logs` still reaches the kubelet (the API server's renewed
 * kubelet-client certificate against the kubelet's renewed serving one). Takes the host agent
 * turn; about 70 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, kubectlOk, NODE_NAME, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import { servedCert } from './lib/servedcert.ts';
import { until } from './lib/until.ts';

let c: AgentCluster;
before(async () => {
  c = await startAgentCluster({ env: { TSK_TEST_CERT_LIFETIME_SECONDS: '40' } });
});
after(async () => {
  await c?.stop();
});

describe('the embedded agent renews its kubelet certificates while running', () => {
  it('new kubelet serving certificate; heartbeats and kubectl logs after the first certificates ended', async () => {
    const pid = c.server().pid;
    const kubeletPort = Number(await kubectlOk(c, ['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}']));
    const first = await servedCert(kubeletPort);
    assert.ok(first.validTo - Date.now() < 60_000, 'a short-lived kubelet serving certificate');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'talker' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo hello-from-talker; sleep 3600'] }] } };
    await kubectlOk(c, ['apply', '-f', '-'], { input: JSON.stringify(pod) });

    await until('a new kubelet serving certificate', async () => ((await servedCert(kubeletPort)).serial !== first.serial ? true : undefined), 120_000);
    await until('the first certificates to end', async () => (Date.now() > first.validTo + 1000 ? true : undefined), 120_000);
    await until('a node heartbeat made with a renewed client certificate', async () => {
      const renew = await kubectlOk(c, ['get', 'lease', '-n', 'kube-node-lease', NODE_NAME, '-o', 'jsonpath={.spec.renewTime}']);
      return Date.parse(renew) > first.validTo + 1000 ? true : undefined;
    });
    await until('the pod to run', async () => ((await kubectlOk(c, ['get', 'pod', 'talker', '-o', 'jsonpath={.status.phase}'])) === 'Running' ? true : undefined), 90_000);
    assert.match(await kubectlOk(c, ['logs', 'talker']), /hello-from-talker/);
    assert.equal(c.server().pid, pid);
    process.kill(pid, 0);
    assert.match(c.server().stderr(), /re-issued and in use: .*\bkubelet\b/);
  });
});
