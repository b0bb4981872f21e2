/**
 * Events (core/v1 and events.k8s.io/v1 share Kubernetes' internal type and so one printer):
 * LAST SEEN falls back to the first time or the series, COUNT to the series or 1.
 */
import type { KObject } from '../types.ts';
import { col, int, nameOf, printer, str, wide } from './columns.ts';
import { doc } from './descriptions.ts';
import { formatAge } from './duration.ts';

interface CoreEventFields {
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  reportingController?: string;
}

/** Reads either shape with core/v1 field names (events.k8s.io/v1 renamed most of them). */
function coreFields(event: KObject): CoreEventFields {
  const isEventsV1 =
    String(event.apiVersion ?? '').startsWith('events.k8s.io/') || 'regarding' in event || 'note' in event;
  if (!isEventsV1) {
    return { ...event, reportingController: event.reportingComponent } as CoreEventFields;
  }
  return {
    involvedObject: event.regarding,
    message: event.note,
    source: event.deprecatedSource,
    firstTimestamp: event.deprecatedFirstTimestamp,
    lastTimestamp: event.deprecatedLastTimestamp,
    count: event.deprecatedCount,
    reportingController: event.reportingController,
  };
}

function eventSource(fields: CoreEventFields, reportingInstance: string): string {
  const component = fields.source?.component || fields.reportingController || '';
  const instance = fields.source?.host || reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

function target(involved: CoreEventFields['involvedObject']): string {
  const kind = (involved?.kind ?? '').toLowerCase();
  return involved?.name ? `${kind}/${involved.name}` : kind;
}

export const eventPrinter = printer(
  [
    col('Last Seen', doc.eventLast),
    col('Type', doc.eventType),
    col('Reason', doc.eventReason),
    col('Object', doc.eventInvolved),
    wide('Subobject', doc.eventFieldPath),
    wide('Source', doc.eventSource),
    col('Message', doc.eventMessage),
    wide('First Seen', doc.eventFirst),
    wide('Count', doc.eventCount),
    { name: 'Name', type: 'string', format: 'name', description: doc.metaName, priority: 1 },
  ],
  (event, now) => {
    const fields = coreFields(event);
    const first = fields.firstTimestamp ? formatAge(fields.firstTimestamp, now) : formatAge(event.eventTime, now);
    let last = fields.lastTimestamp ? formatAge(fields.lastTimestamp, now) : first;
    let count = int(fields.count);
    if (event.series) {
      last = formatAge(event.series.lastObservedTime, now);
      count = int(event.series.count);
    } else if (count === 0) {
      // Singleton events of the new API carry no count.
      count = 1;
    }
    return [
      last,
      str(event.type),
      str(event.reason),
      target(fields.involvedObject),
      fields.involvedObject?.fieldPath ?? '',
      eventSource(fields, str(event.reportingInstance)),
      (fields.message ?? '').trim(),
      first,
      count,
      nameOf(event),
    ];
  },
);
