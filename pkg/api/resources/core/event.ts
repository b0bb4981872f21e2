/**
 * core/v1 Events (stored under /registry/events, which the store keeps volatile) and the
 * tiny ServiceAccount and Endpoints kinds, which have little beyond metadata of their own.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, invalid, invalidEach, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, notSupported, required, validateIP } from '../../validation/index.ts';
import { coreDefinition } from './definition.ts';
import { list } from './shape.ts';


const LIMITS: [string, number][] = [
  ['reportingInstance', 128],
  ['action', 128],
  ['reason', 128],
  ['message', 1024],
];

/** Kubernetes' legacy event validation, which core/v1 writes go through. */
export function validateEvent(event: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = event.metadata.namespace ?? '';
  const involvedNamespace = event.involvedObject?.namespace ?? '';
  const mismatch = (): FieldError => invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace');
  if (!event.eventTime) {
    if (involvedNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== involvedNamespace) errs.push(mismatch());
  } else {
    if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') errs.push(mismatch());
    const controller = event.reportingComponent ?? '';
    if (!controller) errs.push(required('reportingComponent'));
    errs.push(...invalidEach('reportingComponent', controller, controller ? isQualifiedName(controller) : []));
    for (const [field, limit] of LIMITS) {
      const value = String(event[field] ?? '');
      if (!value && field !== 'message') errs.push(required(field));
      if (value.length > limit) errs.push(invalid(field, '', `can have at most ${limit} characters`));
    }
  }
  errs.push(...invalidEach('namespace', namespace, isDNS1123Subdomain(namespace)));
  if (event.type && !['Normal', 'Warning'].includes(event.type) && event.eventTime) errs.push(notSupported('type', event.type, ['Normal', 'Warning']));
  return errs;
}

export const eventStrategy: Strategy = {
  allowCreateOnUpdate: true,
  validate: validateEvent,
  validateUpdate: (event) => validateEvent(event),
};

const involved = (field: string) => (e: KObject) => String(e.involvedObject?.[field] ?? '');

export function eventResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    strategy: eventStrategy,
    fieldSelectors: {
      'involvedObject.kind': involved('kind'),
      'involvedObject.namespace': involved('namespace'),
      'involvedObject.name': involved('name'),
      'involvedObject.uid': involved('uid'),
      'involvedObject.apiVersion': involved('apiVersion'),
      'involvedObject.resourceVersion': involved('resourceVersion'),
      'involvedObject.fieldPath': involved('fieldPath'),
      reason: (e) => e.reason ?? '',
      reportingComponent: (e) => e.reportingComponent ?? '',
      source: (e) => e.source?.component ?? '',
      type: (e) => e.type ?? '',
    },
  });
}

export function serviceAccountResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    subresources: ['token'],
    strategy: {},
  });
}

function validateEndpoints(ep: KObject): FieldError[] {
  const errs: FieldError[] = [];
  list(ep.subsets).forEach((subset, i) => {
    const p = FieldPath.root('subsets').index(i);
    for (const kind of ['addresses', 'notReadyAddresses']) {
      list(subset[kind]).forEach((a, j) => {
        const ap = p.child(kind).index(j);
        errs.push(...validateIP(String(a.ip ?? ''), ap.child('ip')));
        if (a.hostname) errs.push(...invalidEach(ap.child('hostname'), a.hostname, isDNS1123Subdomain(a.hostname)));
        if (a.nodeName) errs.push(...invalidEach(ap.child('nodeName'), a.nodeName, isDNS1123Subdomain(a.nodeName)));
      });
    }
    list(subset.ports).forEach((port, j) => {
      const pp = p.child('ports').index(j);
      if (list(subset.ports).length > 1 && !port.name) errs.push(required(pp.child('name')));
      else if (port.name) errs.push(...invalidEach(pp.child('name'), port.name, isDNS1123Label(port.name)));
      errs.push(...invalidEach(pp.child('port'), port.port ?? 0, isValidPortNum(port.port)));
      if (!['SCTP', 'TCP', 'UDP'].includes(port.protocol)) errs.push(notSupported(pp.child('protocol'), port.protocol ?? '', ['SCTP', 'TCP', 'UDP']));
    });
  });
  return errs;
}

export function endpointsResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'Endpoints',
    listKind: 'EndpointsList',
    plural: 'endpoints',
    singular: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    strategy: {
      allowCreateOnUpdate: true,
      defaults(ep: KObject) {
        for (const subset of list(ep.subsets)) for (const port of list(subset.ports)) if (!port.protocol) port.protocol = 'TCP';
      },
      validate: validateEndpoints,
      validateUpdate: validateEndpoints,
    },
    storagePath: 'services/endpoints',
  });
}
