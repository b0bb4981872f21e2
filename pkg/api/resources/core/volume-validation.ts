/** Pod volumes: unique DNS-label names and exactly one source, each source's required fields. */
import type { FieldError } from '../../types.ts';
import { type FieldPath, duplicate, forbidden, invalid, invalidEach, isDNS1123Label, notSupported, required } from '../../validation/index.ts';
import { type Obj, list } from './shape.ts';


/** The fields of VolumeSource: a volume names exactly one. */
export const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function validateMode(mode: unknown, path: FieldPath): FieldError[] {
  if (mode === undefined || mode === null) return [];
  return typeof mode === 'number' && mode >= 0 && mode <= 0o777 ? [] : [invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

function validateSource(kind: string, source: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const need = (field: string): void => {
    if (!source[field]) errs.push(required(path.child(field)));
  };
  switch (kind) {
    case 'hostPath':
      need('path');
      if (source.type !== undefined && !HOST_PATH_TYPES.includes(source.type)) errs.push(notSupported(path.child('type'), source.type, HOST_PATH_TYPES));
      break;
    case 'secret':
      need('secretName');
      errs.push(...validateMode(source.defaultMode, path.child('defaultMode')));
      break;
    case 'configMap':
      need('name');
      errs.push(...validateMode(source.defaultMode, path.child('defaultMode')));
      break;
    case 'persistentVolumeClaim':
      need('claimName');
      break;
    case 'nfs':
      need('server');
      need('path');
      break;
    case 'emptyDir':
      if (source.medium && !['Memory', 'HugePages'].includes(source.medium) && !String(source.medium).startsWith('HugePages-')) {
        errs.push(notSupported(path.child('medium'), source.medium, ['', 'Memory', 'HugePages']));
      }
      break;
    case 'csi':
      need('driver');
      break;
    case 'projected':
    case 'downwardAPI':
      errs.push(...validateMode(source.defaultMode, path.child('defaultMode')));
      break;
    case 'image':
      need('reference');
      break;
  }
  return errs;
}

/** Returns the errors and the set of valid names, which volume mounts refer to. */
export function validateVolumes(volumes: unknown, path: FieldPath): { errors: FieldError[]; names: Set<string> } {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  list(volumes).forEach((v, i) => {
    const p = path.index(i);
    if (!v.name) errors.push(required(p.child('name')));
    else {
      const nameErrors = invalidEach(p.child('name'), v.name, isDNS1123Label(v.name));
      errors.push(...nameErrors);
      if (names.has(v.name)) errors.push(duplicate(p.child('name'), v.name));
      else if (nameErrors.length === 0) names.add(v.name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) errors.push(required(p, 'must specify a volume type'));
    sources.slice(1).forEach((s) => errors.push(forbidden(p.child(s), 'may not specify more than 1 volume type')));
    if (sources.length > 0) errors.push(...validateSource(sources[0]!, v[sources[0]!] ?? {}, p.child(sources[0]!)));
  });
  return { errors, names };
}
