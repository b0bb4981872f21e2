/**
 * Field sets as structured-merge-diff keeps them: a tree of path elements (field name, list
 * key, set value, index) with members (owned paths) and children (paths below). The order
 * and the FieldsV1 encoding (`f:name`, `k:{"name":"x"}`, `v:"a"`, `i:0`, `.`) follow
 * sigs.k8s.io/structured-merge-diff, so managedFields read byte for byte like Kubernetes'.
 */
import type { Json } from '../../../api/types.ts';
import { goJson, isObject } from '../json.ts';

export type PathElement =
  | { field: string }
  | { key: [string, Json][] }
  | { value: Json }
  | { index: number };

export type Path = PathElement[];

/** Key and value elements' texts, computed once per element: every write renders them again and again. */
const renderedKeys = new WeakMap<PathElement, string>();

/** Canonical text of an element, used both as identity and as the FieldsV1 key. */
export function elementKey(pe: PathElement): string {
  if ('field' in pe) return `f:${pe.field}`;
  if ('index' in pe) return `i:${pe.index}`;
  let text = renderedKeys.get(pe);
  if (text === undefined) {
    text = 'key' in pe ? `k:${goJson(Object.fromEntries(pe.key))}` : `v:${goJson(pe.value)}`;
    renderedKeys.set(pe, text);
  }
  return text;
}

/**
 * FieldsV1 keys read back, by their text: the same few keys (`k:{"type":"Ready"}`) come in
 * with every object, and parsing and rendering them again was a large part of each write.
 * Elements are never changed, so they can be shared. Cleared when full rather than aged.
 */
const parsedKeys = new Map<string, { pe: PathElement; key: string } | null>();
const PARSED_KEYS_MAX = 10_000;

function parseCanonical(text: string): { pe: PathElement; key: string } | undefined {
  let parsed = parsedKeys.get(text);
  if (parsed === undefined) {
    const pe = parseElementKey(text);
    parsed = pe === undefined ? null : { pe, key: elementKey(pe) };
    if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.clear();
    parsedKeys.set(text, parsed);
  }
  return parsed ?? undefined;
}

export function parseElementKey(text: string): PathElement | undefined {
  const body = text.slice(2);
  switch (text.slice(0, 2)) {
    case 'f:':
      return { field: body };
    case 'k:': {
      const fields = JSON.parse(body) as Record<string, Json>;
      return { key: Object.keys(fields).sort().map((k) => [k, fields[k]!] as [string, Json]) };
    }
    case 'v:':
      return { value: JSON.parse(body) as Json };
    case 'i:':
      return { index: Number(body) };
    default:
      return undefined;
  }
}

const rank = (pe: PathElement) => ('field' in pe ? 0 : 'key' in pe ? 1 : 'value' in pe ? 2 : 3);

export function compareElements(a: PathElement, b: PathElement): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if ('field' in a && 'field' in b) return compareStrings(a.field, b.field);
  if ('key' in a && 'key' in b) return compareKeys(a.key, b.key);
  if ('value' in a && 'value' in b) return compareValues(a.value, b.value);
  return (a as { index: number }).index - (b as { index: number }).index;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: [string, Json][], b: [string, Json][]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length || i >= b.length) return a.length - b.length;
    const c = compareStrings(a[i]![0], b[i]![0]) || compareValues(a[i]![1], b[i]![1]);
    if (c !== 0) return c;
  }
}

/** value.Compare: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: Json, b: Json): number {
  const order = (v: Json) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : v === null ? 5 : 4);
  const oa = order(a);
  const ob = order(b);
  if (oa !== ob) return oa - ob;
  if (typeof a === 'number' || typeof a === 'string') return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  if (Array.isArray(a)) {
    const bl = b as Json[];
    for (let i = 0; i < Math.min(a.length, bl.length); i++) {
      const c = compareValues(a[i]!, bl[i]!);
      if (c !== 0) return c;
    }
    return a.length - bl.length;
  }
  if (isObject(a) && isObject(b)) {
    const entries = (o: Record<string, Json>) => Object.keys(o).sort().map((k) => [k, o[k]!] as [string, Json]);
    return compareKeys(entries(a), entries(b));
  }
  return 0;
}

/** Path.String(): `.spec.containers[name="web"].image`, `[=value]`, `[0]`. */
export function pathString(path: Path): string {
  return path.map(elementString).join('');
}

function elementString(pe: PathElement): string {
  if ('field' in pe) return `.${pe.field}`;
  if ('key' in pe) return `[${pe.key.map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
  if ('value' in pe) return `[=${valueString(pe.value)}]`;
  return `[${pe.index}]`;
}

function valueString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${k}=${valueString(v[k]!)}`).join(',')}}`;
  return String(v);
}

interface Child {
  pe: PathElement;
  set: FieldSet;
}

/**
 * Built with insert/descend, then never changed: set operations return new sets that share
 * the subtrees they keep unchanged (or one of their operands when the other is empty).
 */
export class FieldSet {
  readonly members = new Map<string, PathElement>();
  readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    const [head, ...rest] = path;
    const key = elementKey(head!);
    if (rest.length === 0) this.members.set(key, head!);
    else this.descend(head!).insert(rest);
  }

  descend(pe: PathElement, key = elementKey(pe)): FieldSet {
    let child = this.children.get(key);
    if (!child) {
      child = { pe, set: new FieldSet() };
      this.children.set(key, child);
    }
    return child.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    const key = elementKey(path[0]!);
    if (path.length === 1) return this.members.has(key);
    return this.children.get(key)?.set.has(path.slice(1)) ?? false;
  }

  /** The subtree below `pe`, or undefined when nothing is there. */
  childAt(pe: PathElement): FieldSet | undefined {
    return this.children.get(elementKey(pe))?.set;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  /** Sets are not changed once built, so results share the subtrees they take over unchanged. */
  union(other: FieldSet): FieldSet {
    if (other.members.size === 0 && other.children.size === 0) return this;
    if (this.members.size === 0 && this.children.size === 0) return other;
    const out = new FieldSet();
    this.members.forEach((pe, k) => out.members.set(k, pe));
    other.members.forEach((pe, k) => out.members.set(k, pe));
    this.children.forEach((c, k) => out.children.set(k, c));
    other.children.forEach((c, k) => {
      const mine = out.children.get(k);
      out.children.set(k, mine ? { pe: c.pe, set: mine.set.union(c.set) } : c);
    });
    return out;
  }

  /** Members of this set not in `other`, level by level (children of other's members stay). */
  difference(other: FieldSet): FieldSet {
    return this.subtract(other, false);
  }

  /** Like difference, but also drops everything below a member of `other`. */
  recursiveDifference(other: FieldSet): FieldSet {
    return this.subtract(other, true);
  }

  private subtract(other: FieldSet, recursive: boolean): FieldSet {
    if (other.members.size === 0 && other.children.size === 0) return this;
    const out = new FieldSet();
    this.members.forEach((pe, k) => {
      if (!other.members.has(k)) out.members.set(k, pe);
    });
    this.children.forEach((c, k) => {
      if (recursive && other.members.has(k)) return;
      const theirs = other.children.get(k);
      if (!theirs) {
        if (!c.set.isEmpty()) out.children.set(k, c);
        return;
      }
      const rest = c.set.subtract(theirs.set, recursive);
      if (!rest.isEmpty()) out.children.set(k, { pe: c.pe, set: rest });
    });
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    this.members.forEach((pe, k) => {
      if (other.members.has(k)) out.members.set(k, pe);
    });
    this.children.forEach((c, k) => {
      const theirs = other.children.get(k);
      if (!theirs) return;
      const both = c.set.intersection(theirs.set);
      if (!both.isEmpty()) out.children.set(k, { pe: c.pe, set: both });
    });
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every member path: this level's members in order, then each child's (Set.Iterate). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = sortedValues(this.members).map((pe) => [...prefix, pe]);
    for (const c of sortedChildren(this.children)) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  /** The FieldsV1 object: `.` first where an element is itself a member, then elements in order. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf && !this.isEmpty()) out['.'] = {};
    const ordered: [string, PathElement][] = [...this.members];
    for (const [k, c] of this.children) if (!this.members.has(k) && !c.set.isEmpty()) ordered.push([k, c.pe]);
    ordered.sort(byElement);
    for (const [k] of ordered) {
      const child = this.children.get(k);
      out[k] = child && !child.set.isEmpty() ? child.set.emit(this.members.has(k)) : {};
    }
    return out;
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const out = new FieldSet();
    if (!isObject(fields)) throw new Error('FieldsV1 must be an object');
    for (const k in fields) {
      if (k === '.') continue;
      const parsed = parseCanonical(k);
      if (parsed === undefined) continue;
      const { pe, key } = parsed;
      const v = fields[k];
      const sub = isObject(v) ? v : {};
      let members = 0;
      let self = false;
      for (const c in sub) {
        if (c === '.') self = true;
        else members++;
      }
      if (members === 0 || self) out.members.set(key, pe);
      if (members > 0) {
        const child = FieldSet.fromFieldsV1(sub);
        if (!child.isEmpty()) out.children.set(key, { pe, set: child });
      }
    }
    return out;
  }
}

/** compareElements on [key, element] pairs; two fields compare as their keys do, without the element walk. */
function byElement(a: [string, PathElement], b: [string, PathElement]): number {
  if (a[0].startsWith('f:') && b[0].startsWith('f:')) return compareStrings(a[0], b[0]);
  return compareElements(a[1], b[1]);
}

function sortedValues(m: Map<string, PathElement>): PathElement[] {
  return [...m.values()].sort(compareElements);
}

function sortedChildren(m: Map<string, Child>): Child[] {
  return [...m.values()].sort((a, b) => compareElements(a.pe, b.pe));
}
