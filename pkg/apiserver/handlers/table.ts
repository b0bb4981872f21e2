/**
 * meta.k8s.io/v1 Table and PartialObjectMetadata bodies for a response: the printers
 * (pkg/api/printers) make the rows, this adds the request's options and list metadata.
 */
import { buildTable as printTable, type IncludeObject, type Table } from '../../api/printers/index.ts';
import type { KObject, TablePrinter } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';

export interface TableOptions {
  now: Date;
  query: URLSearchParams;
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
  noHeaders?: boolean;
}

export function partialMetadata(obj: KObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function buildTable(printer: TablePrinter, objects: KObject[], opts: TableOptions): Table {
  const include = opts.query.get('includeObject') ?? 'Metadata';
  if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
    throw apiErrors.badRequest(`includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`);
  }
  const table = printTable(printer, objects, { now: opts.now, includeObject: include as IncludeObject, noHeaders: opts.noHeaders });
  table.metadata.resourceVersion = opts.resourceVersion;
  if (opts.continueToken) table.metadata.continue = opts.continueToken;
  if (opts.remainingItemCount) table.metadata.remainingItemCount = opts.remainingItemCount;
  return table;
}
