/**
 * The pod garbage collector through real kubectl: a pod bound to a node that is deleted is
 * marked Failed with Kubernetes' DisruptionTarget condition (DeletionByPodGC), then removed.
 * Kubernetes waits out a 40 s quarantine first, so this file takes about a minute.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../pkg/api/types.ts';
import { Client, resourcePath } from '../pkg/client/client.ts';
import { clusterPerFile } from './lib/cluster.ts';

const { cluster, ok } = clusterPerFile();

type Pod = KObject & { status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };

test('a pod on a node that was deleted is marked and removed', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Node
metadata: {name: ghost}
---
apiVersion: v1
kind: Pod
metadata: {name: stranded}
spec:
  nodeName: ghost
  containers: [{name: c, image: busybox}]
`);
  const client = Client.fromKubeconfig(cluster().kubeconfig);
  const path = resourcePath({ version: 'v1', resource: 'pods', namespace: 'default' });
  const list = await client.list<Pod>(path, { fieldSelector: 'metadata.name=stranded' });
  // Every state the pod passes through, from before the node goes until the pod is deleted.
  const watch = client.watch<Pod>(path, { resourceVersion: list.metadata.resourceVersion, fieldSelector: 'metadata.name=stranded', timeoutSeconds: 120 });
  try {
    await ok(['delete', 'node', 'ghost']);
    let last: Pod | undefined;
    let deleted = false;
    for await (const event of watch) {
      if (event.type === 'BOOKMARK') continue;
      if (event.type === 'ERROR') throw new Error(`watch failed: ${event.object.message}`);
      if (event.type === 'DELETED') {
        deleted = true;
        break;
      }
      last = event.object;
    }
    assert.ok(deleted, 'the pod was deleted before the watch ended');
    assert.equal(last?.status?.phase, 'Failed');
    const condition = last?.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual({ ...condition, lastTransitionTime: undefined }, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: undefined });
  } finally {
    watch.stop();
    client.close();
  }
  const r = await cluster().kubectl(['get', 'pod', 'stranded']);
  assert.match(r.stderr, /pods "stranded" not found/);
});
