/**
 * events.k8s.io/v1 Event: a second view of the core/v1 Events stored under /registry/events.
 * The conversion renames fields (regarding ↔ involvedObject, note ↔ message, deprecated* ↔ the
 * old counters, reportingController ↔ reportingComponent). Writes through this API get the
 * stricter validation Kubernetes applies to events.k8s.io requests.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { invalid, jsonEqual, required, validateImmutableField } from '../../validation/index.ts';
import { validateEvent } from '../core/event.ts';
import { STANDARD_VERBS } from '../common.ts';
import { cloneJson } from '../../json.ts';

/** events.k8s.io/v1 field → core/v1 field, for the fields whose names differ. */
const RENAMED: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];
const SAME = ['eventTime', 'series', 'action', 'reason', 'related', 'reportingInstance', 'type'];

function convert(obj: KObject, apiVersion: string, pairs: [string, string][]): KObject {
  const out: KObject = { apiVersion, kind: 'Event', metadata: cloneJson(obj.metadata) };
  for (const [from, to] of [...pairs, ...SAME.map((f): [string, string] => [f, f])]) {
    if (obj[from] !== undefined) out[to] = cloneJson(obj[from]);
  }
  return out;
}

export const eventV1ToCore = (obj: KObject): KObject => convert(obj, 'v1', RENAMED);
export const coreToEventV1 = (obj: KObject): KObject => convert(obj, 'events.k8s.io/v1', RENAMED.map(([a, b]): [string, string] => [b, a]));

/** Core's legacy checks, reported under the events.k8s.io name of the controller field. */
function legacyChecks(event: KObject): FieldError[] {
  return validateEvent(event).map((e) => (e.field === 'reportingComponent' ? { ...e, field: 'reportingController' } : e));
}

function validateSeries(event: KObject): FieldError[] {
  const series = event.series;
  if (!series) return [];
  const errs: FieldError[] = [];
  if (!((series.count ?? 0) >= 2)) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (!series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  return errs;
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== 0;

/** ValidateEventCreate for events.k8s.io/v1: new-style events only, the deprecated fields unset. */
function validateCreate(event: KObject): FieldError[] {
  const errs = [...legacyChecks(event), ...validateSeries(event)];
  if (!event.eventTime) errs.push(required('eventTime'));
  if (event.type !== 'Normal' && event.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${event.type ?? ''}`));
  if (isSet(event.firstTimestamp)) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (isSet(event.lastTimestamp)) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (isSet(event.count)) errs.push(invalid('count', '', 'needs to be unset'));
  if (isSet(event.source?.component) || isSet(event.source?.host)) errs.push(invalid('source', '', 'needs to be unset'));
  return errs;
}

const IMMUTABLE = ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'action', 'related', 'reportingComponent', 'reportingInstance'];

/** ValidateEventUpdate: only the series may move on. */
function validateUpdate(event: KObject, old: KObject): FieldError[] {
  const errs = legacyChecks(event);
  if (!jsonEqual(event.series, old.series)) errs.push(...validateSeries(event));
  for (const f of IMMUTABLE) {
    const reported = f === 'reportingComponent' ? 'reportingController' : f;
    errs.push(...validateImmutableField(event[f], old[f], reported));
  }
  return errs;
}

/** Hooks see the stored (core/v1) shape. */
const strategy: Strategy = { allowCreateOnUpdate: true, validate: validateCreate, validateUpdate };

export const eventsV1: ResourceDefinition = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: STANDARD_VERBS,
  schema: 'io.k8s.api.events.v1.Event',
  strategy,
  storagePath: 'events',
  conversion: { toStored: eventV1ToCore, fromStored: coreToEventV1 },
};
