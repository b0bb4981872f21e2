/**
 * tsk's own add-ons as manifests, written into DATA_DIR/server/manifests at every start (k3s
 * "stages" coredns.yaml, local-storage.yaml, … the same way): an edited copy is overwritten
 * unless NAME.skip sits beside it, and a --disable'd one is not written (the deploy
 * controller then removes the old copy and its objects).
 *
 * Only objects live here. The work behind them stays in-process: every agent answers DNS at
 * its bridge address (pkg/controllers/clusterdns keeps the kube-dns EndpointSlices), the
 * local-path provisioner is a controller (pkg/controllers/localpath), ServiceLB and
 * metrics-server have no objects of their own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { KObject } from '../../api/types.ts';
import { writeFileAtomic } from '../../auth/files.ts';
import { dnsService } from '../../controllers/clusterdns/controller.ts';
import { LOCAL_PATH_PROVISIONER } from '../../controllers/localpath/volume.ts';
import { logger } from '../../log/log.ts';

const log = logger('deploy');

export const LOCAL_PATH_CLASS = 'local-path';

export interface PackagedValues {
  /** --cluster-dns */
  clusterDns: string;
}

export interface PackagedManifest {
  /** Path below the manifests folder. */
  file: string;
  /** The --disable name that removes it. */
  component: string;
  objects: KObject[];
}

export function localPathStorageClass(): KObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    // pkg/controllers/localpath provisions the claims of this class.
    provisioner: LOCAL_PATH_PROVISIONER,
    // A local volume can only be made once the scheduler has picked the pod's node.
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Delete',
  } as KObject;
}

export function packagedManifests(values: PackagedValues): PackagedManifest[] {
  return [
    { file: 'coredns.yaml', component: 'coredns', objects: [dnsService(values.clusterDns)] },
    { file: 'local-storage.yaml', component: 'local-storage', objects: [localPathStorageClass()] },
  ];
}

export function renderManifest(m: PackagedManifest): string {
  const header = [
    `# Written by tsk at every start (--disable ${m.component} removes it and its objects).`,
    `# Edits are overwritten at the next start unless ${path.posix.basename(m.file)}.skip exists beside this file.`,
  ].join('\n');
  return `${header}\n${m.objects.map((o) => `---\n${stringify(o)}`).join('')}`;
}

/** Writes every packaged manifest that is neither disabled nor skipped; answers the files written or kept. */
export function stagePackagedManifests(folder: string, values: PackagedValues, disables: readonly string[]): string[] {
  const staged: string[] = [];
  for (const m of packagedManifests(values)) {
    const file = path.join(folder, m.file);
    if (disables.includes(m.component)) continue;
    if (fs.existsSync(`${file}.skip`)) {
      log.info(`not writing ${file}: ${m.file}.skip exists`);
      continue;
    }
    const content = renderManifest(m);
    let current: string | undefined;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      // not there yet
    }
    // Unchanged content is not rewritten, which would only wake the watch.
    if (current !== content) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      writeFileAtomic(file, content, 0o600);
      log.info(`wrote ${file}`);
    }
    staged.push(m.file);
  }
  return staged;
}
