/**
 * The meta.k8s.io/v1 Table body the API server returns when kubectl asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io`. The HTTP layer adds metadata.resourceVersion
 * and metadata.continue.
 */
import type { KObject, TablePrinter } from '../types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** A printer that also marks rows (Kubernetes marks finished pods "Completed"). */
export interface RowConditionPrinter extends TablePrinter {
  rowConditions(obj: KObject): TableRowCondition[] | undefined;
}

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when the client asked for no headers, as Kubernetes encodes the nil slice. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[] | null;
}

export interface BuildTableOptions {
  now: Date;
  /** TableOptions.includeObject; Kubernetes defaults to Metadata. */
  includeObject?: IncludeObject;
  /** TableOptions.noHeaders: leave the column definitions out. */
  noHeaders?: boolean;
}

/** Printers whose Kubernetes counterpart leaves rows nil for an empty list. */
const nilRowsWhenEmpty = new WeakSet<TablePrinter>();

/** Mark a printer as one whose empty table carries `rows: null` (the default convertor). */
export function markNilRowsWhenEmpty(printer: TablePrinter): void {
  nilRowsWhenEmpty.add(printer);
}

function hasRowConditions(printer: TablePrinter): printer is RowConditionPrinter {
  return typeof (printer as Partial<RowConditionPrinter>).rowConditions === 'function';
}

function rowObject(obj: KObject, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      return null;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

export function columnDefinitions(printer: TablePrinter): TableColumnDefinition[] {
  return printer.columns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description,
    priority: c.priority,
  }));
}

/** One Table for a single object (GET) or a list (LIST), rows in the given order. */
export function buildTable(printer: TablePrinter, objects: KObject[], options: BuildTableOptions): Table {
  const include = options.includeObject ?? 'Metadata';
  const rows = objects.map((obj): TableRow => {
    const cells = printer.row(obj, options.now);
    const conditions = hasRowConditions(printer) ? printer.rowConditions(obj) : undefined;
    // Key order as Kubernetes encodes TableRow: cells, conditions (omitted when empty), object.
    if (conditions && conditions.length > 0) return { cells, conditions, object: rowObject(obj, include) };
    return { cells, object: rowObject(obj, include) };
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: options.noHeaders ? null : columnDefinitions(printer),
    rows: rows.length === 0 && nilRowsWhenEmpty.has(printer) ? null : rows,
  };
}
