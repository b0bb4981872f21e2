/**
 * The controllers `tsk server` runs, in the order they start. One line per controller; each
 * lives in pkg/controllers/<name>.
 */
import type { ControllerFactory } from './manager.ts';
import { namespaceController } from './namespace/controller.ts';
import { rootCaPublisher } from './namespacedefaults/rootca.ts';
import { serviceAccountController } from './namespacedefaults/serviceaccounts.ts';
import { replicaSetController } from './replicaset/controller.ts';

export const builtinControllers: ControllerFactory[] = [
  namespaceController,
  serviceAccountController,
  rootCaPublisher,
  replicaSetController,
];
