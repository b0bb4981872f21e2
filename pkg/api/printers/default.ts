/**
 * The table Kubernetes serves for kinds without a printer (apiserver registry/rest
 * defaultTableConvertor: Role, ClusterRole, LimitRange, CustomResourceDefinition, …):
 * NAME and CREATED AT, the creation time in UTC as RFC 3339.
 */
import type { KObject, TablePrinter } from '../types.ts';
import { doc } from './descriptions.ts';
import { nameColumn, nameOf } from './columns.ts';
import { parseTime } from './duration.ts';
import { markNilRowsWhenEmpty } from './table.ts';

/** Go's zero time, which metav1.Time formats when creationTimestamp is unset. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** time.RFC3339 in UTC: whole seconds, "Z". */
export function rfc3339(value: string | undefined): string {
  const ms = parseTime(value);
  if (ms === undefined) return ZERO_TIME;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const defaultPrinter: TablePrinter = {
  columns: [nameColumn, { name: 'Created At', type: 'date', description: doc.metaCreated, priority: 0 }],
  row: (obj: KObject) => [nameOf(obj), rfc3339(obj.metadata?.creationTimestamp)],
};

markNilRowsWhenEmpty(defaultPrinter);
