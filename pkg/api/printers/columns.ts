/**
 * The building blocks every printer shares: column declarations, the Name and Age columns,
 * container name/image cells, and small cell formatters used across kinds.
 */
import type { KObject, PrinterColumn, TablePrinter } from '../types.ts';
import { containersDoc, doc, imagesDoc } from './descriptions.ts';
import { formatAge } from './duration.ts';

type ColumnType = PrinterColumn['type'];

/** A column shown by default. */
export function col(name: string, description: string, type: ColumnType = 'string'): PrinterColumn {
  return { name, type, description, priority: 0 };
}

/** A column shown only with `-o wide` (priority 1). */
export function wide(name: string, description: string, type: ColumnType = 'string'): PrinterColumn {
  return { name, type, description, priority: 1 };
}

export const nameColumn: PrinterColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: doc.metaName,
  priority: 0,
};

export const ageColumn: PrinterColumn = col('Age', doc.metaCreated);

/** The wide CONTAINERS and IMAGES columns of pod templates, and SELECTOR when given. */
export function templateColumns(selectorDoc?: string): PrinterColumn[] {
  const columns = [wide('Containers', containersDoc), wide('Images', imagesDoc)];
  return selectorDoc === undefined ? columns : [...columns, wide('Selector', selectorDoc)];
}

export function printer(columns: PrinterColumn[], row: (obj: KObject, now: Date) => unknown[]): TablePrinter {
  return { columns, row };
}

export function nameOf(obj: KObject): string {
  return obj.metadata?.name ?? '';
}

export function ageOf(obj: KObject, now: Date): string {
  return formatAge(obj.metadata?.creationTimestamp, now);
}

interface Container {
  name?: string;
  image?: string;
}

/** printers.go layoutContainerCells: names and images, each joined by commas. */
export function containerCells(containers: Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** An integer cell: Kubernetes prints int32 fields, so absent means 0. */
export function int(value: unknown): number {
  return typeof value === 'number' ? Math.trunc(value) : 0;
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function orNone(value: string | undefined | null): string {
  return value ? value : '<none>';
}

/** Go's printBoolPtr: "True"/"False", "<unset>" when absent. */
export function boolPtr(value: unknown): string {
  if (typeof value !== 'boolean') return '<unset>';
  return value ? 'True' : 'False';
}

/**
 * The "a,b,c + N more..." lists of printers.go (listWithMoreString): at most three items,
 * "<unset>" when there are none.
 */
export function listWithMore(items: string[], max = 3, empty = '<unset>'): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length === 0 ? empty : items.join(',');
}

/** Conditions as Kubernetes types carry them. */
export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export function conditionsOf(status: { conditions?: Condition[] } | undefined): Condition[] {
  return Array.isArray(status?.conditions) ? status.conditions : [];
}
