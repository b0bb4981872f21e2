/**
 * Tables for custom resources from a CRD version's additionalPrinterColumns, as the
 * apiextensions table convertor builds them: Name first, then the columns in order; a CRD
 * version without columns gets one Age column. CRD validation refuses bad JSONPaths; should
 * one get through, the table ends before it instead of failing every request.
 */
import type { PrinterColumn, TablePrinter } from '../types.ts';
import { nameColumn, nameOf } from './columns.ts';
import { doc } from './descriptions.ts';
import { humanDuration, parseTime } from './duration.ts';
import { compileJsonPath, type JsonPath } from './jsonpath.ts';

/** apiextensions/v1 CustomResourceColumnDefinition. */
export interface CustomResourceColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const defaultColumns: CustomResourceColumn[] = [
  { name: 'Age', type: 'date', description: doc.metaCreated, jsonPath: '.metadata.creationTimestamp' },
];

/**
 * Go's fmt %v of a decoded JSON number: integers (int64 in Kubernetes' decoding) in full,
 * other values in shortest form with an exponent below 1e-4 and from 1e6 on.
 */
function goNumberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return String(n);
  const [mantissa, exp] = n.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return String(n);
}

function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** encoding/json.Marshal of decoded JSON: object keys sorted, HTML characters escaped. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(record[k])}`).join(',')}}`;
}

/** What client-go's jsonpath prints for one value: text for scalars, JSON for the rest. */
function stringCell(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumberText(value);
  if (typeof value === 'boolean') return String(value);
  return goJson(value);
}

/** Non-string columns keep JSON types; a value of the wrong type leaves the cell empty. */
function typedCell(type: string, value: unknown, now: Date): unknown {
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      const ms = parseTime(value);
      return ms === undefined ? '<invalid>' : humanDuration(now.getTime() - ms);
    }
    default:
      return null;
  }
}

/** Columns up to the first unparsable JSONPath, where Kubernetes' convertor stops too. */
function usableColumns(columns: CustomResourceColumn[]): { column: CustomResourceColumn; path: JsonPath }[] {
  const usable: { column: CustomResourceColumn; path: JsonPath }[] = [];
  for (const column of columns) {
    try {
      usable.push({ column, path: compileJsonPath(column.jsonPath) });
    } catch {
      break;
    }
  }
  return usable;
}

export function customResourcePrinter(columns: CustomResourceColumn[]): TablePrinter {
  const usable = usableColumns(columns.length > 0 ? columns : defaultColumns);
  const effective = usable.map((u) => u.column);
  const paths = usable.map((u) => u.path);
  const definitions: PrinterColumn[] = effective.map((c) => ({
    name: c.name,
    type: c.type as PrinterColumn['type'],
    format: c.format ?? '',
    description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
    priority: c.priority ?? 0,
  }));
  return {
    columns: [nameColumn, ...definitions],
    row(obj, now) {
      const cells: unknown[] = [nameOf(obj)];
      effective.forEach((column, i) => {
        const found = paths[i].find(obj);
        if (found.length === 0) cells.push(null);
        else if (column.type === 'string') cells.push(stringCell(found[0]));
        else cells.push(typedCell(column.type, found[0], now));
      });
      return cells;
    },
  };
}
