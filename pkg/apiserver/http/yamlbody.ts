/**
 * YAML request bodies as kube-apiserver reads them (sigs.k8s.io/yaml over its go-yaml v2 fork):
 * the first document only, duplicate keys allowed (the last wins), merge keys honoured, and
 * failures worded as go-yaml words them ("yaml: line 3: mapping values are not allowed in this
 * context"). go-yaml's own guards against abuse apply too: flow collections nest at most 10,000
 * deep and aliases may not blow a small document up.
 */
import { isMap, isScalar, LineCounter, parseAllDocuments, visit, type Document, YAMLParseError } from 'yaml';

/** go-yaml's max_flow_level. */
export const GO_YAML_MAX_FLOW_DEPTH = 10_000;

/** A body go-yaml refuses; `message` is go-yaml's error text, "yaml: …". */
export class YamlBodyError extends Error {}

/** Our walkers recurse: deeper than this is refused before parsing (with our own words). */
export class YamlTooDeepError extends Error {}

/**
 * The deepest flow nesting ([ and {) of a document and where it first passes `limit`.
 * Block-context plain scalars may contain brackets, so a bracket counts only where a flow
 * collection can start: inside one already, or where a value begins.
 */
function flowDepthBeyond(text: string, limit: number): { line: number } | undefined {
  let depth = 0;
  let line = 1;
  let quote: '"' | "'" | undefined;
  let valueStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      if (depth === 0) valueStart = true;
      if (quote === undefined) continue;
    }
    if (quote !== undefined) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if ((c === '[' || c === '{') && (depth > 0 || valueStart)) {
      depth++;
      if (depth > limit) return { line };
      valueStart = true;
      continue;
    }
    if ((c === ']' || c === '}') && depth > 0) {
      depth--;
      valueStart = false;
      continue;
    }
    if ((c === '"' || c === "'") && (depth > 0 || valueStart)) {
      quote = c;
      continue;
    }
    valueStart = c === ':' || c === '-' || c === '?' || c === ',';
  }
  return undefined;
}

/** libyaml's words for the failures the yaml package names by code. */
function goYamlProblem(err: YAMLParseError): string {
  switch (err.code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'mapping values are not allowed in this context';
    case 'TAB_AS_INDENT':
    case 'BAD_SCALAR_START':
      return 'found character that cannot start any token';
    case 'MISSING_CHAR':
      return /quote/i.test(err.message) ? 'found unexpected end of stream' : "did not find expected ',' or ']'";
    case 'BAD_INDENT':
      return /Flow map/.test(err.message) ? "did not find expected ',' or '}'" : /Flow sequence/.test(err.message) ? "did not find expected ',' or ']'" : 'did not find expected key';
    case 'UNEXPECTED_TOKEN':
      return 'did not find expected key';
    default:
      return err.message.split(' at line ')[0]!.split('\n')[0]!;
  }
}

/** What go-yaml's UnmarshalStrict says of repeated keys: `line 6: key "a" already set in map`. */
function duplicateKeys(doc: Document.Parsed, lines: LineCounter): string[] {
  const found: string[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        const id = `${typeof key}:${String(key)}`;
        if (seen.has(id)) {
          const line = lines.linePos(pair.key.range?.[0] ?? 0).line;
          found.push(`line ${line}: key ${typeof key === 'string' ? JSON.stringify(key) : String(key)} already set in map`);
        }
        seen.add(id);
      }
    },
  });
  return found;
}

export interface YamlBody {
  value: unknown;
  /** Strict decoding's complaints about repeated keys (the last value won). */
  duplicates: string[];
}

/**
 * Converts a YAML body to the plain value Kubernetes' YAMLToJSON yields; throws YamlBodyError
 * with go-yaml's text. `maxDepth` is our own, tighter, nesting limit.
 */
export function parseYamlBody(text: string, maxDepth: number): YamlBody {
  const deep = flowDepthBeyond(text, GO_YAML_MAX_FLOW_DEPTH);
  if (deep) throw new YamlBodyError(deep.line > 1 ? `yaml: line ${deep.line}: exceeded max depth of ${GO_YAML_MAX_FLOW_DEPTH}` : `yaml: exceeded max depth of ${GO_YAML_MAX_FLOW_DEPTH}`);
  if (flowDepthBeyond(text, maxDepth)) throw new YamlTooDeepError();
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { uniqueKeys: false, merge: true, lineCounter: lines });
  const first = Array.isArray(docs) ? docs[0] : docs;
  if (!first) return { value: null, duplicates: [] };
  const error = first.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    throw new YamlBodyError(line !== undefined ? `yaml: line ${line}: ${goYamlProblem(error)}` : `yaml: ${goYamlProblem(error)}`);
  }
  try {
    // go-yaml's aliasing guard is a ratio; the yaml package's count of expanded nodes is ours.
    return { value: first.toJS({ maxAliasCount: 1000 }), duplicates: duplicateKeys(first, lines) };
  } catch (err) {
    const message = (err as Error).message;
    if (/excessive alias count/i.test(message)) throw new YamlBodyError('yaml: document contains excessive aliasing');
    const unknown = /Unresolved alias[^:]*: (.*)$/.exec(message);
    if (unknown) throw new YamlBodyError(`yaml: unknown anchor '${unknown[1]}' referenced`);
    if (err instanceof RangeError) throw new YamlTooDeepError();
    throw new YamlBodyError(`yaml: ${message}`);
  }
}
