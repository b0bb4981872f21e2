import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { ClientError } from '../../client/errors.ts';
import { ApiScaleClient, parseApiVersion } from './scale.ts';

/** Discovery documents and objects by path; records every request. */
function fakeClient(docs: Record<string, unknown>) {
  const requests: string[] = [];
  const updates: { path: string; body: KObject }[] = [];
  const answer = (path: string) => {
    requests.push(path);
    if (!(path in docs)) return Promise.reject(new ClientError(404, { reason: 'NotFound', message: 'the server could not find the requested resource' }));
    return Promise.resolve(structuredClone(docs[path]));
  };
  const client = {
    request: (_method: string, path: string) => answer(path),
    get: (path: string) => answer(path),
    update: async (path: string, body: KObject) => {
      updates.push({ path, body });
      return body;
    },
  } as unknown as Client;
  return { client, requests, updates };
}

const scaleObject = (replicas: number, selector?: string) => ({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'x', resourceVersion: '7' }, spec: { replicas }, status: { replicas, ...(selector ? { selector } : {}) } });

describe('the HPA target scale subresource', () => {
  it('finds a Deployment by kind in discovery, reads its scale and writes spec.replicas with the resourceVersion read', async () => {
    const f = fakeClient({
      '/apis/apps/v1': { resources: [{ name: 'deployments', kind: 'Deployment' }, { name: 'deployments/scale', kind: 'Scale' }, { name: 'deployments/status', kind: 'Deployment' }] },
      '/apis/apps/v1/namespaces/ns/deployments/web/scale': scaleObject(2, 'app=web'),
    });
    const scales = new ApiScaleClient(f.client);
    const scale = await scales.get('ns', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    assert.deepEqual([scale.path, scale.specReplicas, scale.statusReplicas, scale.selector], ['/apis/apps/v1/namespaces/ns/deployments/web/scale', 2, 2, 'app=web']);
    await scales.update(scale, 5);
    assert.deepEqual(f.updates.map((u) => [u.path, u.body.spec.replicas, u.body.metadata.resourceVersion]), [['/apis/apps/v1/namespaces/ns/deployments/web/scale', 5, '7']]);
    // Discovery is kept: the second read asks only for the scale.
    await scales.get('ns', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    assert.equal(f.requests.filter((p) => p === '/apis/apps/v1').length, 1);
  });

  it("falls back to the group's other versions for a custom resource, and names what is missing", async () => {
    const f = fakeClient({
      '/apis/example.com/v1': { resources: [{ name: 'gadgets', kind: 'Gadget' }] },
      '/apis/example.com': { versions: [{ version: 'v2' }, { version: 'v1' }] },
      '/apis/example.com/v2': { resources: [{ name: 'widgets', kind: 'Widget' }, { name: 'widgets/scale', kind: 'Scale' }] },
      '/apis/example.com/v2/namespaces/ns/widgets/w/scale': scaleObject(3),
    });
    const scales = new ApiScaleClient(f.client);
    const scale = await scales.get('ns', { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' });
    assert.deepEqual([scale.path, scale.selector], ['/apis/example.com/v2/namespaces/ns/widgets/w/scale', '']);
    await assert.rejects(scales.get('ns', { apiVersion: 'example.com/v1', kind: 'Gadget', name: 'g' }), /^AutoscalerError: gadgets\.example\.com has no scale subresource$/);
    await assert.rejects(scales.get('ns', { apiVersion: 'example.com/v1', kind: 'Nothing', name: 'n' }), /^AutoscalerError: no matches for kind "Nothing" in group "example\.com"$/);
    await assert.rejects(scales.get('ns', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }), /no matches for kind "Deployment" in group "apps"/);
  });

  it('parses apiVersion as Kubernetes does', () => {
    assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
    assert.deepEqual(parseApiVersion('apps/v1'), { group: 'apps', version: 'v1' });
    assert.throws(() => parseApiVersion('a/b/c'), /unexpected GroupVersion string: a\/b\/c/);
    assert.deepEqual(parseApiVersion(''), { group: '', version: 'v1' });
  });
});
