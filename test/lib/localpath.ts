/** Objects the local-path tests create: the StorageClass tsk packages (local-path, tsk.io/local-path) and a small claim. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export const localPathClass = (mode = 'WaitForFirstConsumer', name = 'local-path', isDefault = true): Json => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner: 'tsk.io/local-path',
  volumeBindingMode: mode,
  reclaimPolicy: 'Delete',
});

export const claim = (name: string, spec: Json = {}): Json => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } }, ...spec },
});
