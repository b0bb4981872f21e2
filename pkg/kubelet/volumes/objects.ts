/**
 * The API objects the kubelet reads to build a container's environment and volumes. The node
 * authorizer lets a kubelet GET the secrets, configmaps, claims and volumes of its own pods but
 * not list or watch them, so these are plain GETs, as kubelet's "Get" strategy does (the TTL
 * controller gives small clusters a TTL of 0, i.e. no caching). Unit tests pass a fake.
 */
import type { KObject } from '../../api/types.ts';
import { isClientError, resourcePath, type Client } from '../../client/client.ts';

export interface ObjectReader {
  /** undefined when the object does not exist; other failures throw. */
  configMap(namespace: string, name: string): Promise<KObject | undefined>;
  secret(namespace: string, name: string): Promise<KObject | undefined>;
  persistentVolumeClaim(namespace: string, name: string): Promise<KObject | undefined>;
  persistentVolume(name: string): Promise<KObject | undefined>;
}

async function getOrUndefined(client: Client, path: string): Promise<KObject | undefined> {
  try {
    return await client.get(path);
  } catch (err) {
    if (isClientError(err, 'NotFound')) return undefined;
    throw err;
  }
}

export class ClientObjectReader implements ObjectReader {
  constructor(private readonly client: Client) {}

  configMap(namespace: string, name: string): Promise<KObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ version: 'v1', resource: 'configmaps', namespace, name }));
  }

  secret(namespace: string, name: string): Promise<KObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ version: 'v1', resource: 'secrets', namespace, name }));
  }

  persistentVolumeClaim(namespace: string, name: string): Promise<KObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ version: 'v1', resource: 'persistentvolumeclaims', namespace, name }));
  }

  persistentVolume(name: string): Promise<KObject | undefined> {
    return getOrUndefined(this.client, resourcePath({ version: 'v1', resource: 'persistentvolumes', name }));
  }
}

/** A secret's data decoded (the API carries it base64). */
export function secretData(secret: KObject): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [key, value] of Object.entries((secret.data ?? {}) as Record<string, string>)) out.set(key, Buffer.from(value, 'base64'));
  return out;
}

/** A configmap's data and binaryData as bytes, data first (keys never repeat between the two: validation refuses it). */
export function configMapData(configMap: KObject): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [key, value] of Object.entries((configMap.data ?? {}) as Record<string, string>)) out.set(key, Buffer.from(value, 'utf8'));
  for (const [key, value] of Object.entries((configMap.binaryData ?? {}) as Record<string, string>)) out.set(key, Buffer.from(value, 'base64'));
  return out;
}
