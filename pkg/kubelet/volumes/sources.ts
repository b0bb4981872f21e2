/**
 * The file contents of configMap, secret, downwardAPI and projected volumes (what the atomic
 * writer then puts on disk), with Kubernetes' rules: items select and rename keys, modes
 * default to defaultMode (0644), optional sources may be absent, a required one that is
 * missing fails the mount with Kubernetes' message.
 */
import type { KObject } from '../../api/types.ts';
import type { Payload } from './atomic.ts';
import { podFieldValue, resourceFieldValue, type Allocatable, type Loose, type VolumeSpec } from './downward.ts';
import { configMapData, secretData, type ObjectReader } from './objects.ts';
import type { ServiceAccountTokens } from './tokens.ts';

export const DEFAULT_MODE = 0o644;

export interface SourceDeps {
  objects: ObjectReader;
  tokens: ServiceAccountTokens;
  allocatable: Allocatable;
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** Keys of a configMap or secret into files: all keys, or only `items` (a missing key fails unless optional). */
function keysToFiles(payload: Payload, data: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, missingKey: (key: string) => string): void {
  if (!items?.length) {
    for (const [key, value] of data) payload.set(key, { data: value, mode: defaultMode });
    return;
  }
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new Error(missingKey(item.key));
    }
    payload.set(item.path, { data: value, mode: item.mode ?? defaultMode });
  }
}

async function configMapFiles(deps: SourceDeps, payload: Payload, namespace: string, src: Loose, defaultMode: number): Promise<void> {
  const cm = await deps.objects.configMap(namespace, src.name);
  if (!cm) {
    if (src.optional) return;
    throw new Error(`configmap "${src.name}" not found`);
  }
  keysToFiles(payload, configMapData(cm), src.items, defaultMode, !!src.optional, (k) => `configmap references non-existent config key: ${k}`);
}

async function secretFiles(deps: SourceDeps, payload: Payload, namespace: string, name: string, src: Loose, defaultMode: number): Promise<void> {
  const secret = await deps.objects.secret(namespace, name);
  if (!secret) {
    if (src.optional) return;
    throw new Error(`secret "${name}" not found`);
  }
  keysToFiles(payload, secretData(secret), src.items, defaultMode, !!src.optional, (k) => `references non-existent secret key: ${k}`);
}

function downwardFiles(deps: SourceDeps, payload: Payload, pod: KObject, items: Loose[] | undefined, defaultMode: number): void {
  for (const item of items ?? []) {
    const value = item.fieldRef ? podFieldValue(pod, item.fieldRef.fieldPath) : resourceFieldValue(pod, item.resourceFieldRef, deps.allocatable);
    payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
}

/** The payload of a volume whose files the kubelet writes; undefined for other volume kinds. */
export async function volumePayload(deps: SourceDeps, pod: KObject, volume: VolumeSpec): Promise<Payload | undefined> {
  const namespace = pod.metadata.namespace!;
  const payload: Payload = new Map();
  if (volume.configMap) {
    await configMapFiles(deps, payload, namespace, volume.configMap, volume.configMap.defaultMode ?? DEFAULT_MODE);
  } else if (volume.secret) {
    await secretFiles(deps, payload, namespace, volume.secret.secretName, volume.secret, volume.secret.defaultMode ?? DEFAULT_MODE);
  } else if (volume.downwardAPI) {
    downwardFiles(deps, payload, pod, volume.downwardAPI.items, volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
  } else if (volume.projected) {
    const defaultMode: number = volume.projected.defaultMode ?? DEFAULT_MODE;
    for (const source of (volume.projected.sources ?? []) as Loose[]) {
      if (source.configMap) await configMapFiles(deps, payload, namespace, source.configMap, defaultMode);
      else if (source.secret) await secretFiles(deps, payload, namespace, source.secret.name, source.secret, defaultMode);
      else if (source.downwardAPI) downwardFiles(deps, payload, pod, source.downwardAPI.items, defaultMode);
      else if (source.serviceAccountToken) {
        const { audience, expirationSeconds, path } = source.serviceAccountToken;
        const token = await deps.tokens.tokenFor(pod, audience, expirationSeconds);
        payload.set(path, { data: Buffer.from(token, 'utf8'), mode: defaultMode });
      } else throw new Error(`unsupported projected volume source: ${Object.keys(source).join(', ')}`);
    }
  } else {
    return undefined;
  }
  return payload;
}
