/**
 * The controllers `tsk server` runs, in the order they start. One line per controller; each
 * lives in pkg/controllers/<name>.
 */
import type { ControllerFactory } from './manager.ts';
import { daemonSetController } from './daemonset/controller.ts';
import { disruptionController } from './disruption/controller.ts';
import { endpointSliceController } from './endpointslice/controller.ts';
import { endpointSliceMirroringController } from './endpointslice/mirroring.ts';
import { endpointsController } from './endpoints/controller.ts';
import { garbageCollector } from './garbagecollector/controller.ts';
import { clusterDnsController } from './clusterdns/controller.ts';
import { cronJobController } from './cronjob/controller.ts';
import { jobController } from './job/controller.ts';
import { namespaceController } from './namespace/controller.ts';
import { nodeIpamController } from './nodeipam/controller.ts';
import { nodeLifecycleController } from './nodelifecycle/controller.ts';
import { podGarbageCollector } from './podgc/controller.ts';
import { taintEvictionController } from './nodelifecycle/tainteviction.ts';
import { rootCaPublisher } from './namespacedefaults/rootca.ts';
import { serviceLbController } from './servicelb/controller.ts';
import { serviceAccountController } from './namespacedefaults/serviceaccounts.ts';
import { ttlAfterFinishedController } from './ttlafterfinished/controller.ts';
import { statefulSetController } from './statefulset/controller.ts';
import { replicaSetController } from './replicaset/controller.ts';
import { resourceQuotaController } from './resourcequota/controller.ts';
import { deploymentController } from './deployment/controller.ts';
import { horizontalPodAutoscalerController } from './podautoscaler/controller.ts';
import { persistentVolumeBinderController } from './persistentvolume/binder.ts';
import { pvcProtectionController, pvProtectionController } from './persistentvolume/protection.ts';
import { localPathProvisioner } from './localpath/provisioner.ts';

export const builtinControllers: ControllerFactory[] = [
  namespaceController,
  serviceAccountController,
  rootCaPublisher,
  garbageCollector,
  podGarbageCollector,
  replicaSetController,
  deploymentController,
  jobController,
  cronJobController,
  ttlAfterFinishedController,
  daemonSetController,
  statefulSetController,
  endpointSliceController,
  endpointsController,
  endpointSliceMirroringController,
  disruptionController,
  resourceQuotaController,
  nodeIpamController,
  nodeLifecycleController,
  taintEvictionController,
  clusterDnsController,
  serviceLbController,
  horizontalPodAutoscalerController,
  persistentVolumeBinderController,
  pvcProtectionController,
  pvProtectionController,
  localPathProvisioner,
];
