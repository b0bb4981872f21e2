/**
 * Generates field-descriptions.ts: Kubernetes 1.33's own texts where @kubernetes/client-node's
 * models lose them, and the enum values the served documents list. client-node drops the
 * description of a field that refers to another type (Deployment.spec: "Specification of the
 * desired behavior of the Deployment."), folds line breaks into spaces, mangles `/*`, and its
 * spec has no enums ("Possible enum values: …" and `enum`). The source is the JSDoc and the
 * string-literal types of the `kubernetes-models` packages, generated from Kubernetes' OpenAPI
 * with enums: 4.5.1 is Kubernetes 1.33.
 *
 *   npm pack kubernetes-models@4.5.1 @kubernetes-models/apimachinery@2.2.0   (extract both)
 *   node --import tsx pkg/api/openapi/data/gen-field-descriptions.ts <kubernetes-models>/package <apimachinery>/package
 *
 * It checks itself: where both sources describe a field, nearly all texts must agree once line
 * breaks and enum lists are set aside, or the JSDoc reading is wrong and the script stops.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib, { brotliCompressSync } from 'node:zlib';
import type { Descriptions } from '../handmade.ts';
import { builtinDefinitions, modelDescriptions, type Enums } from '../resolver.ts';

/** io.k8s.api.apps.v1.Deployment → IoK8sApiAppsV1Deployment, as kubernetes-models names types. */
function camelName(definition: string): string {
  return definition.split(/[.-]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

function* declarationFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* declarationFiles(full);
    else if (entry.name.endsWith('.d.ts')) yield full;
  }
}

/** The text of a JSDoc block whose lines are `<indent> * text`, as it was before commenting. */
function jsdocText(lines: string[]): string {
  // The generator escapes `*` and `/` after it, so that no `*/` ends the comment early; undo that.
  return lines.map((l) => l.replace(/^\s*\*( |$)/, '')).join('\n').replace(/\\\*/g, '*').replace(/\*\\\//g, '*/');
}

/** The JSDoc block ending on the line above `at`, if any. */
function precedingJsdoc(lines: string[], at: number): string | undefined {
  if (!/^\s*\*\/$/.test(lines[at - 1] ?? '')) return undefined;
  let start = at - 2;
  while (start >= 0 && !/^\s*\/\*\*$/.test(lines[start]!)) start--;
  return start < 0 ? undefined : jsdocText(lines.slice(start + 1, at - 1));
}

/** `"A" | "B"` → ['A', 'B']; `Array<"A" | "B">` → ['A', 'B'] for the items; else undefined. */
function literalUnion(type: string): { values: string[]; items: boolean } | undefined {
  const items = /^Array<(.*)>$/.exec(type);
  const union = (items ? items[1]! : type).split(' | ');
  if (!union.every((t) => /^"[^"]*"$/.test(t))) return undefined;
  return { values: union.map((t) => JSON.parse(t) as string), items: Boolean(items) };
}

interface TypeDocs {
  type?: string;
  fields: Record<string, string>;
  enums: Record<string, { values: string[]; items: boolean }>;
}

/** Docs of the interfaces and type aliases a declaration file exports under Kubernetes names. */
function readDeclarations(file: string, into: Map<string, TypeDocs>): void {
  const text = fs.readFileSync(file, 'utf8');
  const exported = new Map<string, string>();
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const pair of m[1]!.split(',')) {
      const alias = /^\s*(\w+) as I(IoK8s\w+)\s*$/.exec(pair);
      if (alias) exported.set(alias[1]!, alias[2]!);
    }
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^export (?:interface|declare type) (\w+)\b/.exec(lines[i]!);
    const name = head && exported.get(head[1]!);
    if (!name) continue;
    const docs: TypeDocs = { type: precedingJsdoc(lines, i), fields: {}, enums: {} };
    // A type can be declared twice (an interface and an alias of it); the documented one wins.
    if (!into.get(name)?.type || docs.type) into.set(name, docs);
    if (!lines[i]!.endsWith('{')) continue;
    for (i++; i < lines.length && lines[i] !== '}'; i++) {
      const field = /^ {4}"?([\w$-]+)"?\??: (.*);$/.exec(lines[i]!);
      if (!field) continue;
      const doc = precedingJsdoc(lines, i);
      if (doc !== undefined) docs.fields[field[1]!] = doc;
      const literals = literalUnion(field[2]!);
      // apiVersion and kind are typed as their one literal value; they are not enums.
      if (literals && field[1] !== 'apiVersion' && field[1] !== 'kind') docs.enums[field[1]!] = literals;
    }
  }
}

function withoutEnumList(text: string): string {
  return text.replace(/\n*Possible enum values:\n[\s\S]*$/, '');
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) throw new Error('usage: gen-field-descriptions.ts <kubernetes-models dir> <apimachinery dir>');
  const models = new Map<string, TypeDocs>();
  for (const dir of dirs) for (const file of declarationFiles(dir)) readDeclarations(file, models);

  const definitions = builtinDefinitions();
  const known = await modelDescriptions();
  const descriptions: Descriptions = {};
  const enums: Enums = {};
  const counts = { same: 0, reflowed: 0, enumListed: 0, added: 0 };
  const reworded: string[] = [];
  for (const [name, node] of Object.entries(definitions)) {
    const docs = models.get(camelName(name));
    if (!docs) continue;
    const ours = known[name] ?? {};
    const theirs: Record<string, string> = { ...docs.fields, ...(docs.type === undefined ? {} : { '': docs.type }) };
    const changed: Record<string, string> = {};
    for (const [key, text] of Object.entries(theirs)) {
      if (key !== '' && !node.properties?.[key]) continue;
      if (ours[key] === text) {
        counts.same++;
        continue;
      }
      changed[key] = text;
      if (ours[key] === undefined) counts.added++;
      // client-node folds every line break into a space; Kubernetes keeps its paragraphs.
      else if (ours[key] === text.replace(/\n/g, ' ')) counts.reflowed++;
      else if (ours[key] === withoutEnumList(text).replace(/\n/g, ' ')) counts.enumListed++;
      else reworded.push(`${name}.${key}`);
    }
    if (Object.keys(changed).length > 0) descriptions[name] = changed;
    const fieldEnums = Object.entries(docs.enums).filter(([field]) => node.properties?.[field]);
    if (fieldEnums.length > 0) enums[name] = Object.fromEntries(fieldEnums);
  }
  const agreeing = counts.same + counts.reflowed + counts.enumListed;
  if (reworded.length * 20 > agreeing) {
    throw new Error(`too many texts differ (${reworded.length} of ${agreeing + reworded.length}), first: ${reworded.slice(0, 5).join(', ')}`);
  }
  write({ descriptions, enums });
  const enumFields = Object.values(enums).reduce((n, e) => n + Object.keys(e).length, 0);
  console.log(`${counts.same} texts as before; ${counts.reflowed} get their line breaks back, ${counts.enumListed} their enum list, `
    + `${reworded.length} Kubernetes 1.33's wording (client-node's spec is 1.34, or mangled), ${counts.added} are added; ${enumFields} enum fields`);
}

function write(data: { descriptions: Descriptions; enums: Enums }): void {
  const sorted = <T>(o: Record<string, T>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  const json = JSON.stringify({ descriptions: sorted(data.descriptions), enums: sorted(data.enums) });
  const compressed = brotliCompressSync(Buffer.from(json), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).toString('base64');
  const fingerprint = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'field-descriptions.ts');
  fs.writeFileSync(file, '// Generated by pkg/api/openapi/data/gen-field-descriptions.ts from kubernetes-models 4.5.1; do not edit.\n'
    + `/** Changes whenever the data changes. */\nexport const FIELD_DOCS_FINGERPRINT = '${fingerprint}';\n`
    + '/** Brotli-compressed JSON, base64: { descriptions: definition → { field or \'\' → text }, enums: definition → { field → { values, items } } }. */\n'
    + `export const FIELD_DOCS_BROTLI = '${compressed}';\n`);
}

await main();
