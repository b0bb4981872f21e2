/** storage.k8s.io/v1. */
import type { ResourceDefinition } from '../../types.ts';
import { csidrivers, csinodes, volumeattachments } from './csi.ts';
import { storageclasses } from './storageclass.ts';

export function storageResources(): ResourceDefinition[] {
  return [csidrivers, csinodes, storageclasses, volumeattachments];
}
