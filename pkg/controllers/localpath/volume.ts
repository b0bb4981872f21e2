/**
 * The local-path volume, shared by the provisioner (which writes it), the kubelet (which
 * mounts it and, once Released, removes its folder and the volume) and the node authorizer
 * (which lets a node delete only its own Released local-path volumes). As rancher's
 * local-path-provisioner, which k3s ships: a hostPath volume of type DirectoryOrCreate at
 * <node storage dir>/pvc-<claim uid>_<namespace>_<claim name>, pinned to its node by node
 * affinity on kubernetes.io/hostname. tsk's storage dir is DATA_DIR/storage of the node's
 * agent (k3s: /var/lib/rancher/k3s/storage), published by the kubelet in a Node annotation
 * because agents' data dirs may differ.
 */
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import { ANN_PROVISIONED_BY } from '../persistentvolume/helpers.ts';

export const LOCAL_PATH_PROVISIONER = 'tsk.io/local-path';
/** On a Node: the absolute folder local-path volumes of that node live in. */
export const ANN_STORAGE_DIR = 'tsk.io/local-storage-path';
/** The folder below DATA_DIR. */
export const STORAGE_SUBDIR = 'storage';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** pvc-<uid>: the name external provisioners give the volume of a claim. */
export const volumeNameFor = (claim: KObject): string => `pvc-${claim.metadata.uid}`;

export function folderFor(storageDir: string, claim: KObject): string {
  return path.join(storageDir, `${volumeNameFor(claim)}_${claim.metadata.namespace}_${claim.metadata.name}`);
}

export interface ProvisionInput {
  claim: KObject;
  storageClass: KObject;
  node: string;
  storageDir: string;
}

/** The PersistentVolume for the claim, pre-bound to it (the binder completes the binding). */
export function localPathVolume({ claim, storageClass, node, storageDir }: ProvisionInput): KObject {
  const { namespace, name, uid, resourceVersion } = claim.metadata;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volumeNameFor(claim), annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage },
      accessModes: claim.spec?.accessModes,
      persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
      storageClassName: storageClass.metadata.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      ...(storageClass.mountOptions ? { mountOptions: storageClass.mountOptions } : {}),
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid, resourceVersion },
      hostPath: { path: folderFor(storageDir, claim), type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node] }] }] } },
    },
  };
}

/** The node a local-path volume lives on, or undefined for any other volume. */
export function localPathNode(pv: KObject): string | undefined {
  if (pv.metadata.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) return undefined;
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length !== 1) return undefined;
  const exprs = terms[0]?.matchExpressions;
  if (!Array.isArray(exprs) || exprs.length !== 1) return undefined;
  const e = exprs[0];
  return e?.key === HOSTNAME_LABEL && e.operator === 'In' && e.values?.length === 1 ? e.values[0] : undefined;
}

/**
 * The folder of a local-path volume if it lies directly in `storageDir` (what the kubelet
 * may delete); anything else (a volume written by hand, a path with ..) is refused.
 */
export function deletableFolder(pv: KObject, storageDir: string): string | undefined {
  const p: unknown = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (typeof p !== 'string' || !path.isAbsolute(p)) return undefined;
  const resolved = path.resolve(p);
  if (path.dirname(resolved) !== path.resolve(storageDir)) return undefined;
  return path.basename(resolved).startsWith('pvc-') ? resolved : undefined;
}

/** Released, reclaim policy Delete, provisioned here for `node`: the kubelet of `node` removes it. */
export function awaitsDeletionOn(pv: KObject, node: string): boolean {
  return localPathNode(pv) === node && pv.status?.phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete';
}
