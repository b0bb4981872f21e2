/**
 * Local-path storage end to end, with the server's embedded agent (real containerd and runc):
 * a claim of the default class gets a volume in DATA_DIR/storage on the node when its first pod
 * is scheduled, the pod's file is there on the host and outlives the pod, deleting the claim
 * removes the volume and its folder (the kubelet's doing), and a StatefulSet's
 * volumeClaimTemplates get one volume per replica. Takes the host-agent turn.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, kubectlOk, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import { claim, localPathClass } from './lib/localpath.ts';
import { until } from './lib/until.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let c: AgentCluster;
const ok = (args: string[], input?: string) => kubectlOk(c, args, input === undefined ? {} : { input });
const get = async (args: string[]): Promise<Json> => JSON.parse(await ok(['get', ...args, '-o', 'json']));
const gone = (args: string[]) => until(`${args.join(' ')} gone`, async () => ((await c.kubectl(['get', ...args])).code !== 0 ? true : undefined));
const storage = () => path.join(c.dataDir, 'storage');

function shellPod(name: string, claimName: string, script: string, restartPolicy = 'Always'): Json {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
    },
  };
}

before(async () => {
  c = await startAgentCluster();
  await ok(['apply', '-f', '-'], JSON.stringify(localPathClass()));
});
after(async () => {
  await c?.stop();
});

describe('local-path storage on a real node', () => {
  it('leaves a claim without a pod Pending, waiting for its first consumer', async () => {
    await ok(['create', '-f', '-'], JSON.stringify(claim('lonely')));
    const event = await until('the WaitForFirstConsumer event', async () =>
      (await get(['events', '--field-selector', 'involvedObject.name=lonely'])).items.find((e: Json) => e.reason === 'WaitForFirstConsumer'));
    assert.equal(event.message, 'waiting for first consumer to be created before binding');
    assert.equal((await get(['pvc', 'lonely'])).status.phase, 'Pending');
    await ok(['delete', 'pvc', 'lonely']);
  });

  let folder = '';

  it("puts a pod's claim in a folder of the node's storage dir, where its file lands", async () => {
    await ok(['create', '-f', '-'], JSON.stringify(claim('data')));
    await ok(['create', '-f', '-'], JSON.stringify(shellPod('writer', 'data', 'echo hello-from-pod > /data/greeting && sleep 3600')));
    const pvc = await until('claim data Bound', async () => {
      const p = await get(['pvc', 'data']);
      return p.status.phase === 'Bound' ? p : undefined;
    });
    assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], c.nodeName);
    const node = await get(['node', c.nodeName]);
    assert.equal(node.metadata.annotations['tsk.io/local-storage-path'], storage());
    folder = path.join(storage(), `pvc-${pvc.metadata.uid}_default_data`);
    assert.equal((await get(['pv', pvc.spec.volumeName])).spec.hostPath.path, folder);
    await until('the pod to write its file', async () => (fs.existsSync(path.join(folder, 'greeting')) ? true : undefined));
    assert.equal(fs.readFileSync(path.join(folder, 'greeting'), 'utf8'), 'hello-from-pod\n');
    assert.equal(fs.statSync(folder).mode & 0o777, 0o777, 'writable by any user, as local-path-provisioner makes it');
  });

  it('keeps the file for the next pod of the claim', async () => {
    await ok(['delete', 'pod', 'writer']);
    await ok(['create', '-f', '-'], JSON.stringify(shellPod('reader', 'data', 'cat /data/greeting', 'Never')));
    await until('reader Succeeded', async () => ((await get(['pod', 'reader'])).status.phase === 'Succeeded' ? true : undefined));
    assert.equal(await ok(['logs', 'reader']), 'hello-from-pod\n');
  });

  it('removes the volume and its folder once the claim is deleted', async () => {
    const volumeName: string = (await get(['pvc', 'data'])).spec.volumeName;
    await ok(['delete', 'pod', 'reader']);
    await ok(['delete', 'pvc', 'data']);
    await gone(['pv', volumeName]);
    assert.equal(fs.existsSync(folder), false);
  });

  it("gives each replica of a StatefulSet a volume of its own from volumeClaimTemplates", async () => {
    await ok(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' },
      spec: {
        serviceName: 'db', replicas: 2, selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'hostname > /data/name && sleep 3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '32Mi' } } } }],
      },
    }));
    const claims = await until('both claims Bound', async () => {
      const items: Json[] = (await get(['pvc'])).items.filter((p: Json) => p.metadata.name.startsWith('data-db-'));
      return items.length === 2 && items.every((p) => p.status.phase === 'Bound') ? items : undefined;
    });
    assert.deepEqual(claims.map((p) => p.metadata.name).sort(), ['data-db-0', 'data-db-1']);
    assert.equal(new Set(claims.map((p) => p.spec.volumeName)).size, 2);
    for (const p of claims) {
      const file = path.join(storage(), `pvc-${p.metadata.uid}_default_${p.metadata.name}`, 'name');
      await until(`${file} written`, async () => (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() ? true : undefined));
      assert.equal(fs.readFileSync(file, 'utf8').trim(), p.metadata.name.replace(/^data-/, ''));
    }
    await ok(['delete', 'statefulset', 'db']);
    await until('the db pods gone', async () => ((await get(['pods', '-l', 'app=db'])).items.length === 0 ? true : undefined));
    await ok(['delete', 'pvc', 'data-db-0', 'data-db-1']);
    for (const p of claims) await gone(['pv', p.spec.volumeName]);
    assert.deepEqual(fs.readdirSync(storage()), []);
  });
});
