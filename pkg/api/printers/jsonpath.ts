/**
 * The JSONPath subset Kubernetes accepts where a path names a field of an object (client-go
 * jsonpath inside `{…}`): CRD printer columns, scale subresource paths, selectable fields.
 *
 *   .spec.replicas   .metadata.labels.app   ['app.kubernetes.io/name']   .items[0]   [-1]
 *   [1:3]   [*]   .*   ..name   [?(@.type=="Ready")].status   [?(@.ready)]
 *
 * Missing keys yield no result rather than an error, as the CRD table convertor allows.
 */

type Literal = { literal: string | number | boolean | null };
type Operand = Literal | { path: Step[] };

type Step =
  | { kind: 'field'; names: string[] }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'index'; indices: number[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; left: Step[]; op?: string; right?: Operand };

export class JsonPathError extends Error {
  constructor(path: string, detail: string) {
    super(`invalid JSONPath ${JSON.stringify(path)}: ${detail}`);
    this.name = 'JsonPathError';
  }
}

const IDENT = /^[^.[\]()'"=!<>\s,*@$]+/;

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(detail: string): never {
    throw new JsonPathError(this.text, `${detail} at offset ${this.pos}`);
  }

  private peek(n = 0): string {
    return this.text[this.pos + n] ?? '';
  }

  private skipSpaces(): void {
    while (this.peek() === ' ') this.pos++;
  }

  /** Steps until the end, or until a character that closes an enclosing construct. */
  steps(stopAt: string): Step[] {
    const steps: Step[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '' || stopAt.includes(c)) return steps;
      if (c === '.') {
        this.pos++;
        if (this.peek() === '.') {
          this.pos++;
          steps.push({ kind: 'recursive' });
        }
        if (this.peek() === '*') {
          this.pos++;
          steps.push({ kind: 'wildcard' });
          continue;
        }
        if (this.peek() === '[' || this.peek() === '') continue;
        const ident = IDENT.exec(this.text.slice(this.pos));
        if (!ident) this.fail('expected a field name');
        this.pos += ident[0].length;
        steps.push({ kind: 'field', names: [ident[0]] });
      } else if (c === '[') {
        this.pos++;
        steps.push(this.bracket());
      } else {
        this.fail(`unexpected ${JSON.stringify(c)}`);
      }
    }
  }

  private bracket(): Step {
    this.skipSpaces();
    let step: Step;
    if (this.peek() === '?') {
      this.pos++;
      step = this.filter();
    } else if (this.peek() === '*') {
      this.pos++;
      step = { kind: 'wildcard' };
    } else if (this.peek() === "'" || this.peek() === '"') {
      const names = [this.quoted()];
      this.skipSpaces();
      while (this.peek() === ',') {
        this.pos++;
        this.skipSpaces();
        names.push(this.quoted());
        this.skipSpaces();
      }
      step = { kind: 'field', names };
    } else {
      step = this.indexOrSlice();
    }
    this.skipSpaces();
    if (this.peek() !== ']') this.fail('expected ]');
    this.pos++;
    return step;
  }

  private quoted(): string {
    const quote = this.peek();
    if (quote !== "'" && quote !== '"') this.fail('expected a quoted string');
    let out = '';
    this.pos++;
    while (this.peek() !== quote) {
      if (this.peek() === '') this.fail('unterminated string');
      if (this.peek() === '\\') this.pos++;
      out += this.peek();
      this.pos++;
    }
    this.pos++;
    return out;
  }

  private integer(): number | undefined {
    const m = /^\s*-?\d+/.exec(this.text.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private indexOrSlice(): Step {
    const first = this.integer();
    this.skipSpaces();
    if (this.peek() === ':') {
      this.pos++;
      const end = this.integer();
      this.skipSpaces();
      let step: number | undefined;
      if (this.peek() === ':') {
        this.pos++;
        step = this.integer();
      }
      return { kind: 'slice', start: first, end, step };
    }
    if (first === undefined) this.fail('expected an index');
    const indices = [first];
    while (this.peek() === ',') {
      this.pos++;
      const next = this.integer();
      if (next === undefined) this.fail('expected an index');
      indices.push(next);
      this.skipSpaces();
    }
    return { kind: 'index', indices };
  }

  private filter(): Step {
    if (this.peek() !== '(') this.fail('expected ( after ?');
    this.pos++;
    this.skipSpaces();
    const left = this.operandPath();
    this.skipSpaces();
    const op = /^(==|!=|<=|>=|<|>)/.exec(this.text.slice(this.pos))?.[0];
    let right: Operand | undefined;
    if (op) {
      this.pos += op.length;
      this.skipSpaces();
      right = this.operand();
      this.skipSpaces();
    }
    if (this.peek() !== ')') this.fail('expected )');
    this.pos++;
    return { kind: 'filter', left, op, right };
  }

  private operandPath(): Step[] {
    if (this.peek() !== '@') this.fail('expected @');
    this.pos++;
    return this.steps(' =!<>)');
  }

  private operand(): Operand {
    const c = this.peek();
    if (c === '@') return { path: this.operandPath() };
    if (c === "'" || c === '"') return { literal: this.quoted() };
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a literal');
    this.pos += m[0].length;
    return { literal: m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]) };
  }
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return Object.values(value);
  return [];
}

function descendants(value: unknown, out: unknown[]): unknown[] {
  out.push(value);
  for (const child of children(value)) descendants(child, out);
  return out;
}

function resolveIndex(i: number, length: number): number {
  return i < 0 ? i + length : i;
}

function sliceOf(list: unknown[], step: Extract<Step, { kind: 'slice' }>): unknown[] {
  const by = step.step ?? 1;
  if (by <= 0) return [];
  const start = Math.max(0, resolveIndex(step.start ?? 0, list.length));
  const end = Math.min(list.length, resolveIndex(step.end ?? list.length, list.length));
  const out: unknown[] = [];
  for (let i = start; i < end; i += by) out.push(list[i]);
  return out;
}

function compare(left: unknown, op: string, right: unknown): boolean {
  if (op === '==') return left === right;
  if (op === '!=') return left !== right;
  const comparable =
    (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
  if (!comparable) return false;
  const l = left as number | string;
  const r = right as number | string;
  return op === '<' ? l < r : op === '>' ? l > r : op === '<=' ? l <= r : l >= r;
}

function matches(item: unknown, step: Extract<Step, { kind: 'filter' }>): boolean {
  const lefts = run(step.left, [item]);
  if (lefts.length === 0) return false;
  if (!step.op || !step.right) return true;
  const rights = 'literal' in step.right ? [step.right.literal] : run(step.right.path, [item]);
  if (rights.length === 0) return false;
  return compare(lefts[0], step.op, rights[0]);
}

function apply(step: Step, value: unknown): unknown[] {
  switch (step.kind) {
    case 'field': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
      const record = value as Record<string, unknown>;
      return step.names.filter((n) => Object.hasOwn(record, n)).map((n) => record[n]);
    }
    case 'wildcard':
      return children(value);
    case 'recursive':
      return descendants(value, []);
    case 'index': {
      if (!Array.isArray(value)) return [];
      const out: unknown[] = [];
      for (const i of step.indices) {
        const at = resolveIndex(i, value.length);
        if (at >= 0 && at < value.length) out.push(value[at]);
      }
      return out;
    }
    case 'slice':
      return Array.isArray(value) ? sliceOf(value, step) : [];
    case 'filter':
      return children(value).filter((item) => matches(item, step));
  }
}

function run(steps: Step[], start: unknown[]): unknown[] {
  let values = start;
  for (const step of steps) values = values.flatMap((v) => apply(step, v));
  return values;
}

export interface JsonPath {
  readonly source: string;
  /** Every value the path selects, in document order. */
  find(obj: unknown): unknown[];
}

/** Parse once, evaluate many times. Accepts `.a.b`, `$.a.b` and `{.a.b}`. */
export function compileJsonPath(path: string): JsonPath {
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (text.startsWith('$')) text = text.slice(1);
  const parser = new Parser(text);
  const steps = parser.steps('');
  return { source: path, find: (obj) => run(steps, [obj]) };
}

/** The first value a path selects, or undefined. */
export function jsonPathValue(obj: unknown, path: string): unknown {
  return compileJsonPath(path).find(obj)[0];
}
