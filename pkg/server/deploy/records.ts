/**
 * A file's record as a ConfigMap kube-system/tsk-addon-<file> labelled deploy.tsk.io/record
 * (k3s keeps an AddOn custom resource per file; a ConfigMap needs no CRD of tsk's own, is
 * readable with `kubectl get cm -n kube-system -l deploy.tsk.io/record=true -o yaml`, and is
 * stored, watched and backed up like everything else).
 */
import crypto from 'node:crypto';
import type { KObject } from '../../api/types.ts';
import type { AddonRecord } from './deployer.ts';
import type { ObjectRef } from './manifest.ts';

export const RECORD_NAMESPACE = 'kube-system';
export const RECORD_LABEL = 'deploy.tsk.io/record';
const PREFIX = 'tsk-addon-';
const MAX_NAME = 253;

/**
 * tsk-addon-<file> when the path is already a valid name (coredns.yaml); else the path made
 * one, with a hash of the real path so that a/b.yaml and a-b.yaml stay two records.
 */
export function recordName(source: string): string {
  const plain = source.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  if (plain === source && PREFIX.length + plain.length <= MAX_NAME) return `${PREFIX}${plain}`;
  const hash = crypto.createHash('sha256').update(source).digest('hex').slice(0, 10);
  return `${PREFIX}${plain.slice(0, MAX_NAME - PREFIX.length - hash.length - 1)}-${hash}`;
}

export function recordConfigMap(record: AddonRecord): KObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: recordName(record.source), namespace: RECORD_NAMESPACE, labels: { [RECORD_LABEL]: 'true' } },
    data: {
      source: record.source,
      checksum: record.checksum,
      server: record.server,
      // One object per line, so `kubectl get -o yaml` stays readable.
      objects: record.objects.map((o) => JSON.stringify(o)).join('\n'),
    },
  } as KObject;
}

function isRef(v: unknown): v is ObjectRef {
  const r = v as Record<string, unknown>;
  return typeof r === 'object' && r !== null && typeof r.apiVersion === 'string' && typeof r.kind === 'string' && typeof r.name === 'string'
    && (r.namespace === undefined || typeof r.namespace === 'string');
}

/** undefined for a ConfigMap that is not a record (or was edited beyond reading). */
export function recordFromConfigMap(cm: KObject): AddonRecord | undefined {
  const data = (cm as KObject & { data?: Record<string, string> }).data ?? {};
  if (typeof data.source !== 'string' || data.source === '') return undefined;
  const objects: ObjectRef[] = [];
  for (const line of (data.objects ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      const ref = JSON.parse(line) as unknown;
      if (isRef(ref)) objects.push(ref);
    } catch {
      // an unreadable line is an object we can no longer name
    }
  }
  return { source: data.source, checksum: data.checksum ?? '', server: data.server ?? '', objects };
}
