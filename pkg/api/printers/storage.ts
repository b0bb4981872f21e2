/**
 * Volumes and storage.k8s.io: PersistentVolume, PersistentVolumeClaim, StorageClass
 * ("(default)"), VolumeAttachment, CSINode, CSIDriver, CSIStorageCapacity, VolumeAttributesClass.
 */
import type { KObject } from '../types.ts';
import { ageColumn, ageOf, col, nameColumn, nameOf, printer, str, wide } from './columns.ts';
import { doc } from './descriptions.ts';
import { quantityString } from './quantity.ts';

const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** core helper GetAccessModesAsString: fixed order, duplicates dropped. */
export function accessModes(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The beta annotation still wins over spec.storageClassName, as in Kubernetes' helpers. */
function storageClassOf(obj: KObject): string {
  const annotated = obj.metadata?.annotations?.[STORAGE_CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  return str(obj.spec?.storageClassName);
}

function phaseOf(obj: KObject): string {
  return obj.metadata?.deletionTimestamp ? 'Terminating' : str(obj.status?.phase);
}

function unset(value: unknown): string {
  return typeof value === 'string' ? value : '<unset>';
}

export const persistentVolumePrinter = printer(
  [
    nameColumn,
    col('Capacity', doc.pvCapacity),
    col('Access Modes', doc.pvAccessModes),
    col('Reclaim Policy', doc.pvReclaim),
    col('Status', doc.pvPhase),
    col('Claim', doc.pvClaimRef),
    col('StorageClass', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
    col('Reason', doc.pvReason),
    ageColumn,
    wide('VolumeMode', doc.pvVolumeMode),
  ],
  (pv, now) => {
    const claim = pv.spec?.claimRef;
    return [
      nameOf(pv),
      quantityString(pv.spec?.capacity?.storage),
      accessModes(pv.spec?.accessModes),
      str(pv.spec?.persistentVolumeReclaimPolicy),
      phaseOf(pv),
      claim ? `${claim.namespace ?? ''}/${claim.name ?? ''}` : '',
      storageClassOf(pv),
      unset(pv.spec?.volumeAttributesClassName),
      str(pv.status?.reason),
      ageOf(pv, now),
      unset(pv.spec?.volumeMode),
    ];
  },
);

export const persistentVolumeClaimPrinter = printer(
  [
    nameColumn,
    col('Status', doc.pvcPhase),
    col('Volume', doc.pvcVolumeName),
    col('Capacity', doc.pvcCapacity),
    col('Access Modes', doc.pvcAccessModes),
    col('StorageClass', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
    ageColumn,
    wide('VolumeMode', doc.pvcVolumeMode),
  ],
  (pvc, now) => {
    // Capacity and modes are what the bound volume gave, so they stay blank until bound.
    const bound = Boolean(pvc.spec?.volumeName);
    return [
      nameOf(pvc),
      phaseOf(pvc),
      str(pvc.spec?.volumeName),
      bound ? quantityString(pvc.status?.capacity?.storage) : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      storageClassOf(pvc),
      unset(pvc.spec?.volumeAttributesClassName),
      ageOf(pvc, now),
      unset(pvc.spec?.volumeMode),
    ];
  },
);

const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

function isDefault(obj: KObject, annotations: string[]): boolean {
  return annotations.some((a) => obj.metadata?.annotations?.[a] === 'true');
}

export const storageClassPrinter = printer(
  [
    nameColumn,
    col('Provisioner', doc.scProvisioner),
    col('ReclaimPolicy', doc.scReclaim),
    col('VolumeBindingMode', doc.scBinding),
    col('AllowVolumeExpansion', doc.scExpansion),
    ageColumn,
  ],
  (sc, now) => [
    isDefault(sc, DEFAULT_CLASS_ANNOTATIONS) ? `${nameOf(sc)} (default)` : nameOf(sc),
    str(sc.provisioner),
    sc.reclaimPolicy || 'Delete',
    sc.volumeBindingMode || 'Immediate',
    sc.allowVolumeExpansion === true,
    ageOf(sc, now),
  ],
);

export const volumeAttributesClassPrinter = printer(
  [nameColumn, col('DriverName', doc.vacDriver), ageColumn],
  (vac, now) => [
    isDefault(vac, ['storage.kubernetes.io/is-default-class']) ? `${nameOf(vac)} (default)` : nameOf(vac),
    str(vac.driverName),
    ageOf(vac, now),
  ],
);

export const volumeAttachmentPrinter = printer(
  [
    nameColumn,
    { ...col('Attacher', doc.vaAttacher), format: 'name' },
    col('PV', doc.vaPv),
    col('Node', doc.vaNode),
    col('Attached', doc.vaAttached, 'boolean'),
    ageColumn,
  ],
  (va, now) => [
    nameOf(va),
    str(va.spec?.attacher),
    str(va.spec?.source?.persistentVolumeName),
    str(va.spec?.nodeName),
    va.status?.attached === true,
    ageOf(va, now),
  ],
);

export const csiNodePrinter = printer(
  [nameColumn, col('Drivers', 'Drivers indicates the number of CSI drivers registered on the node', 'integer'), ageColumn],
  (node, now) => [nameOf(node), (node.spec?.drivers ?? []).length, ageOf(node, now)],
);

function boolOr(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

export const csiDriverPrinter = printer(
  [
    nameColumn,
    col('AttachRequired', doc.csiAttach, 'boolean'),
    col('PodInfoOnMount', doc.csiPodInfo, 'boolean'),
    col('StorageCapacity', doc.csiCapacity, 'boolean'),
    col('TokenRequests', doc.csiTokens),
    col('RequiresRepublish', doc.csiRepublish, 'boolean'),
    col('Modes', doc.csiModes),
    ageColumn,
  ],
  (driver, now) => {
    const spec = driver.spec ?? {};
    const tokens = Array.isArray(spec.tokenRequests)
      ? spec.tokenRequests.map((t: { audience?: string }) => t.audience ?? '').join(',')
      : '<unset>';
    const modes = (spec.volumeLifecycleModes ?? []).join(',');
    return [
      nameOf(driver),
      boolOr(spec.attachRequired, true),
      boolOr(spec.podInfoOnMount, false),
      boolOr(spec.storageCapacity, false),
      tokens,
      boolOr(spec.requiresRepublish, false),
      modes || '<none>',
      ageOf(driver, now),
    ];
  },
);

export const csiStorageCapacityPrinter = printer(
  [nameColumn, col('StorageClassName', doc.cscClass), col('Capacity', doc.cscCapacity)],
  (csc) => [nameOf(csc), str(csc.storageClassName), csc.capacity === undefined ? '<unset>' : quantityString(csc.capacity)],
);
