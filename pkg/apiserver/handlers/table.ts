/**
 * meta.k8s.io/v1 Table and PartialObjectMetadata bodies, from a kind's printer. kubectl `get`
 * prints whatever columns come back, so this is what makes its output look like Kubernetes'.
 */
import type { KObject, TablePrinter } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';

export interface TableOptions {
  now: Date;
  query: URLSearchParams;
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export function partialMetadata(obj: KObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

/** includeObject=None|Metadata|Object as Kubernetes' TableOptions; Metadata is the default. */
export function buildTable(printer: TablePrinter, objects: KObject[], opts: TableOptions): Record<string, unknown> {
  const include = opts.query.get('includeObject') ?? 'Metadata';
  if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
    throw apiErrors.badRequest(`includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`);
  }
  const metadata: Record<string, unknown> = { resourceVersion: opts.resourceVersion };
  if (opts.continueToken) metadata.continue = opts.continueToken;
  if (opts.remainingItemCount) metadata.remainingItemCount = opts.remainingItemCount;
  const rows = objects.map((obj) => {
    const row: Record<string, unknown> = { cells: printer.row(obj, opts.now) };
    if (include === 'Metadata') row.object = partialMetadata(obj);
    else if (include === 'Object') row.object = obj;
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: printer.columns, rows };
}
