/**
 * This node's pods as the kubelet API sees them: read from the API server with the node's
 * own identity (the node authorizer lets a node read the pods bound to it), so a request
 * always sees the pod as it is now, not as a lagging cache had it.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { ClientError } from '../../client/errors.ts';
import { resourcePath } from '../../client/paths.ts';
import type { PodSource } from './containers.ts';

export function podsFromApi(client: Client, nodeName: string): PodSource {
  return {
    async get(namespace, name) {
      try {
        const pod = await client.get(resourcePath({ version: 'v1', resource: 'pods', namespace, name }));
        return pod.spec?.nodeName === nodeName ? pod : undefined;
      } catch (err) {
        if (err instanceof ClientError && (err.code === 404 || err.code === 403)) return undefined;
        throw err;
      }
    },
    async list(): Promise<KObject[]> {
      return (await client.list(resourcePath({ version: 'v1', resource: 'pods' }), { fieldSelector: `spec.nodeName=${nodeName}` })).items;
    },
  };
}
