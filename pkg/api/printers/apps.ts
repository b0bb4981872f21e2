/**
 * Workload controllers: Deployment, ReplicaSet, ReplicationController, DaemonSet, StatefulSet,
 * ControllerRevision and PodTemplate, as printers.go prints them.
 */
import type { KObject, TablePrinter } from '../types.ts';
import {
  ageColumn,
  ageOf,
  col,
  containerCells,
  int,
  nameColumn,
  nameOf,
  printer,
  templateColumns,
} from './columns.ts';
import { containersDoc, doc, imagesDoc } from './descriptions.ts';
import { formatLabelSelector, formatLabels, selectorString } from './labels.ts';

function templateContainers(obj: KObject): [string, string] {
  return containerCells(obj.spec?.template?.spec?.containers);
}

export const deploymentPrinter = printer(
  [
    nameColumn,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', doc.deployUpdated),
    col('Available', doc.deployAvailable),
    ageColumn,
    ...templateColumns(doc.deploySelector),
  ],
  (obj, now) => {
    const s = obj.status ?? {};
    const selector = selectorString(obj.spec?.selector);
    return [
      nameOf(obj),
      `${int(s.readyReplicas)}/${int(obj.spec?.replicas)}`,
      int(s.updatedReplicas),
      int(s.availableReplicas),
      ageOf(obj, now),
      ...templateContainers(obj),
      selector ?? '<invalid>',
    ];
  },
);

function replicaColumns(specReplicas: string, statusReplicas: string, ready: string, selector: string) {
  return [
    nameColumn,
    col('Desired', specReplicas, 'integer'),
    col('Current', statusReplicas, 'integer'),
    col('Ready', ready, 'integer'),
    ageColumn,
    ...templateColumns(selector),
  ];
}

function replicaCells(obj: KObject, now: Date, selector: string): unknown[] {
  return [
    nameOf(obj),
    int(obj.spec?.replicas),
    int(obj.status?.replicas),
    int(obj.status?.readyReplicas),
    ageOf(obj, now),
    ...templateContainers(obj),
    selector,
  ];
}

export const replicaSetPrinter = printer(
  replicaColumns(doc.rsSpecReplicas, doc.rsStatusReplicas, doc.rsReady, doc.rsSelector),
  (obj, now) => replicaCells(obj, now, formatLabelSelector(obj.spec?.selector)),
);

export const replicationControllerPrinter = printer(
  replicaColumns(doc.rcSpecReplicas, doc.rcStatusReplicas, doc.rcReady, doc.rcSelector),
  (obj, now) => replicaCells(obj, now, formatLabels(obj.spec?.selector)),
);

export const daemonSetPrinter = printer(
  [
    nameColumn,
    col('Desired', doc.dsDesired, 'integer'),
    col('Current', doc.dsCurrent, 'integer'),
    col('Ready', doc.dsReady, 'integer'),
    col('Up-to-date', doc.dsUpdated, 'integer'),
    col('Available', doc.dsAvailable, 'integer'),
    col('Node Selector', doc.podNodeSelector),
    ageColumn,
    ...templateColumns(doc.dsSelector),
  ],
  (obj, now) => {
    const s = obj.status ?? {};
    return [
      nameOf(obj),
      int(s.desiredNumberScheduled),
      int(s.currentNumberScheduled),
      int(s.numberReady),
      int(s.updatedNumberScheduled),
      int(s.numberAvailable),
      formatLabels(obj.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now),
      ...templateContainers(obj),
      formatLabelSelector(obj.spec?.selector),
    ];
  },
);

export const statefulSetPrinter = printer(
  [
    nameColumn,
    col('Ready', 'Number of the pod with ready state'),
    ageColumn,
    ...templateColumns(),
  ],
  (obj, now) => [
    nameOf(obj),
    `${int(obj.status?.readyReplicas)}/${int(obj.spec?.replicas)}`,
    ageOf(obj, now),
    ...templateContainers(obj),
  ],
);

/** "daemonset.apps/web": the controller owner as group-qualified kind and name. */
function controllerName(obj: KObject): string {
  const owner = (obj.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
  if (!owner) return '<none>';
  const apiVersion = owner.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (!owner.kind && !group) return owner.name;
  const kind = group ? `${owner.kind}.${group}` : owner.kind;
  return `${kind.toLowerCase()}/${owner.name}`;
}

export const controllerRevisionPrinter = printer(
  [nameColumn, col('Controller', 'Controller of the object'), col('Revision', doc.crRevision), ageColumn],
  (obj, now) => [nameOf(obj), controllerName(obj), int(obj.revision), ageOf(obj, now)],
);

export const podTemplatePrinter: TablePrinter = printer(
  [
    nameColumn,
    col('Containers', containersDoc),
    col('Images', imagesDoc),
    col('Pod Labels', 'The labels for the pod template.'),
  ],
  (obj) => [nameOf(obj), ...containerCells(obj.template?.spec?.containers), formatLabels(obj.template?.metadata?.labels)],
);
