/**
 * Generates the built-in OpenAPI v3 component schemas tsk serves and validates against, from
 * the generated models of the devDependency @kubernetes/client-node (Kubernetes v1.34 spec):
 * attributeTypeMap gives JSON names, types and formats; the .d.ts JSDoc gives descriptions;
 * non-optional properties give `required`. What the models lose (patch strategies, list and
 * map types, Quantity, RawExtension, …) comes from pkg/api/openapi/facts.ts.
 *
 * Regenerate (after a client-node upgrade or a change to facts.ts):
 *   node --import tsx scripts/gen-openapi.ts
 * It rewrites pkg/api/openapi/data/structure.ts and pkg/api/openapi/data/descriptions.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SchemaNode } from '../pkg/api/schema.ts';
import { ATOMIC_STRUCTS, FIELD_FACTS, GROUP_OVERRIDES } from '../pkg/api/openapi/facts.ts';
import { SERVED_GROUP_VERSIONS, definitionName } from '../pkg/api/openapi/groups.ts';
import { handMadeDefinitions, type Descriptions } from '../pkg/api/openapi/handmade.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const clientNode = path.join(root, 'node_modules', '@kubernetes', 'client-node', 'dist', 'gen');
const modelsDir = path.join(clientNode, 'models');
const outDir = path.join(root, 'pkg', 'api', 'openapi', 'data');

interface Attribute { baseName: string; type: string; format: string }
interface Model { name: string; attributes: Attribute[]; doc: string; props: Map<string, { doc?: string; optional: boolean }> }

const META_MODELS = new Set([
  'APIGroup', 'APIGroupList', 'APIResource', 'APIResourceList', 'APIVersions', 'Condition', 'DeleteOptions',
  'FieldSelectorRequirement', 'GroupVersionForDiscovery', 'LabelSelector', 'LabelSelectorRequirement', 'ListMeta',
  'ManagedFieldsEntry', 'ObjectMeta', 'OwnerReference', 'Preconditions', 'ServerAddressByClientCIDR', 'Status',
  'StatusCause', 'StatusDetails', 'WatchEvent',
].map((k) => `V1${k}`));

/** client-node spells the JSDoc of a .d.ts with escaped quotes. */
function unescapeDoc(text: string): string {
  return text.replace(/\\(['"\\])/g, '$1').trim();
}

function parseDts(text: string): Pick<Model, 'doc' | 'props'> {
  const classDoc = /\/\*\*\n\* ([\s\S]*?)\n\*\/\nexport declare class/.exec(text);
  const props = new Map<string, { doc?: string; optional: boolean }>();
  const body = text.slice(text.indexOf('export declare class'));
  const re = /(?:\/\*\*\n\s*\* ([\s\S]*?)\n\s*\*\/\n)?\s*'([^']+)'(\?)?:/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    props.set(m[2]!, { doc: m[1] ? unescapeDoc(m[1]) : undefined, optional: m[3] === '?' });
  }
  return { doc: classDoc ? unescapeDoc(classDoc[1]!) : '', props };
}

async function loadModels(): Promise<Map<string, Model>> {
  const models = new Map<string, Model>();
  for (const file of fs.readdirSync(modelsDir).filter((f) => f.endsWith('.js')).sort()) {
    const name = file.slice(0, -3);
    if (name === 'all' || name === 'ObjectSerializer') continue;
    const mod = (await import(pathToFileURL(path.join(modelsDir, file)).href)) as Record<string, { attributeTypeMap?: Attribute[] }>;
    const attributes = mod[name]?.attributeTypeMap;
    if (!attributes) continue;
    const dts = parseDts(fs.readFileSync(path.join(modelsDir, `${name}.d.ts`), 'utf8'));
    models.set(name, { name, attributes, ...dts });
  }
  return models;
}

/** 'RbacV1Subject' → group hint 'rbac', version 'v1', kind 'Subject'; 'V1Pod' → version 'v1', kind 'Pod'. */
function splitModelName(name: string): { prefix?: string; version: string; kind: string } | undefined {
  const m = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(name);
  if (!m) return undefined;
  return { prefix: m[1]?.toLowerCase(), version: m[2]!.toLowerCase(), kind: m[3]! };
}

/** The models each served group-version's API class returns: its kinds and their lists. */
function apiKinds(apiClass: string): string[] {
  const text = fs.readFileSync(path.join(clientNode, 'apis', `${apiClass}.d.ts`), 'utf8');
  return [...new Set([...text.matchAll(/HttpInfo<(\w+)>/g)].map((m) => m[1]!))].filter((n) => /^[A-Z]/.test(n) && n !== 'string');
}

function referencedModels(model: Model): string[] {
  return model.attributes.flatMap((a) => [...a.type.matchAll(/\b([A-Z]\w*V\d\w*|V\d\w*)\b/g)].map((m) => m[1]!));
}

/** Assigns every model reachable from the served APIs to its Kubernetes group. */
function assignGroups(models: Map<string, Model>): { groups: Map<string, string>; kinds: Map<string, string> } {
  const groups = new Map<string, string>();
  const kinds = new Map<string, string>();
  for (const name of META_MODELS) groups.set(name, 'meta');
  for (const [name, group] of Object.entries(GROUP_OVERRIDES)) groups.set(name, group);
  const prefixGroups = new Map(SERVED_GROUP_VERSIONS.map((gv) => [gv.modelPrefix, gv.group]));
  const groupOf = (name: string, fallback: string): string => {
    const prefix = splitModelName(name)?.prefix;
    return (prefix ? prefixGroups.get(prefix) : undefined) ?? fallback;
  };
  for (const gv of SERVED_GROUP_VERSIONS) {
    const queue: string[] = [];
    for (const name of apiKinds(gv.apiClass)) {
      if (META_MODELS.has(name)) continue;
      if (!groups.has(name)) groups.set(name, groupOf(name, gv.group));
      kinds.set(name, `${groups.get(name)}/${splitModelName(name)!.version}`);
      queue.push(name);
    }
    // A nested type belongs to the group of the first kind that reaches it (core goes first).
    while (queue.length > 0) {
      const name = queue.shift()!;
      const model = models.get(name);
      if (!model) continue;
      for (const referenced of referencedModels(model)) {
        if (!models.has(referenced) || groups.has(referenced)) continue;
        groups.set(referenced, groupOf(referenced, groups.get(name)!));
        queue.push(referenced);
      }
    }
  }
  return { groups, kinds };
}

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function ref(name: string): SchemaNode {
  return { $ref: `#/components/schemas/${name}` };
}

/** One attribute's schema, innermost type first, then the fact rule's extensions. */
function attributeSchema(attr: Attribute, names: Map<string, string>, rule: string | undefined): SchemaNode {
  const words = (rule ?? '').split(' ').filter(Boolean);
  const override = words.find((w) => w.startsWith('ref='))?.slice(4);
  const quantity = words.includes('quantity');
  const scalar = (type: string, format: string): SchemaNode => {
    if (override) return ref(definitionName(override));
    if (quantity) return ref(QUANTITY);
    if (type === 'string') return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    if (type === 'boolean') return { type: 'boolean' };
    if (type === 'number') return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', format: format || 'int32' };
    if (type === 'Date' || type === 'V1MicroTime') return ref(`io.k8s.apimachinery.pkg.apis.meta.v1.${format === 'date-time-micro' ? 'MicroTime' : 'Time'}`);
    if (type === 'IntOrString') return ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    if (type === 'any' || type === 'object') throw new Error(`untyped field needs a ref= fact`);
    const target = names.get(type);
    if (!target) throw new Error(`unknown type ${type}`);
    return ref(target);
  };
  const build = (type: string): SchemaNode => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: build(array[1]!) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: build(map[1]!) };
    return scalar(type, attr.format);
  };
  const node = build(attr.type);
  for (const word of words) applyRuleWord(node, word);
  return node;
}

function applyRuleWord(node: SchemaNode, word: string): void {
  const keyed = /^([\w,]+)\(([\w,]+)\)$/.exec(word);
  if (keyed && keyed[1] === 'map') {
    node['x-kubernetes-list-type'] = 'map';
    node['x-kubernetes-list-map-keys'] = keyed[2]!.split(',');
  } else if (keyed) {
    node['x-kubernetes-patch-strategy'] = keyed[1]!;
    node['x-kubernetes-patch-merge-key'] = keyed[2]!;
  } else if (word === 'atomic' || word === 'set') {
    node['x-kubernetes-list-type'] = word;
  } else if (word === 'merge' || word === 'retainKeys' || word === 'replace') {
    node['x-kubernetes-patch-strategy'] = word;
  } else if (word.startsWith('mapType=')) {
    node['x-kubernetes-map-type'] = word.slice(8) as 'atomic' | 'granular';
  } else if (word !== 'quantity' && !word.startsWith('ref=')) {
    throw new Error(`unknown fact word ${word}`);
  }
}

async function main(): Promise<void> {
  const models = await loadModels();
  const { groups, kinds } = assignGroups(models);
  const names = new Map<string, string>();
  for (const [model, group] of groups) {
    const split = splitModelName(model);
    if (!split || !models.has(model)) continue;
    const gv = group === 'meta' ? undefined : SERVED_GROUP_VERSIONS.find((g) => g.group === group && g.version === split.version);
    if (group !== 'meta' && !gv) throw new Error(`${model}: no served version ${split.version} of group ${group}`);
    names.set(model, definitionName(`${group === 'meta' ? 'meta' : gv!.packageName}.${split.version}.${split.kind}`));
  }
  names.set('VersionInfo', 'io.k8s.apimachinery.pkg.version.Info');
  models.get('VersionInfo')!.doc = 'Info contains versioning information. how we\'ll want to distribute that information.';

  const { structure, descriptions } = handMadeDefinitions();
  const usedFacts = new Set<string>();
  for (const [model, defName] of names) {
    const m = models.get(model)!;
    const factKey = defName.replace(/^io\.k8s\.api\./, '').replace(/^io\.k8s\.apimachinery\.pkg\.apis\./, '').replace(/^io\.k8s\.apiextensions-apiserver\.pkg\.apis\./, '');
    const facts = FIELD_FACTS[factKey] ?? {};
    if (FIELD_FACTS[factKey]) usedFacts.add(factKey);
    const properties: Record<string, SchemaNode> = {};
    const propDocs: Record<string, string> = {};
    const required: string[] = [];
    for (const attr of m.attributes) {
      try {
        properties[attr.baseName] = attributeSchema(attr, names, facts[attr.baseName]);
      } catch (err) {
        throw new Error(`${defName}.${attr.baseName}: ${(err as Error).message}`);
      }
      const prop = m.props.get(attr.baseName) ?? m.props.get(attr.baseName.replace(/^\$/, ''));
      if (prop?.doc) propDocs[attr.baseName] = prop.doc;
      if (prop && !prop.optional) required.push(attr.baseName);
    }
    for (const field of Object.keys(facts)) {
      if (!(field in properties)) throw new Error(`facts.ts: ${factKey}.${field} is not a field`);
    }
    const node: SchemaNode = { type: 'object', properties };
    if (required.length > 0) node.required = required;
    const gvk = kinds.get(model);
    if (gvk) {
      const [group, version] = gvk.split('/') as [string, string];
      node['x-kubernetes-group-version-kind'] = [{ group, version, kind: splitModelName(model)!.kind }];
      const list = names.get(`${model}List`);
      if (list) listKinds.set(list, { group, version, kind: `${splitModelName(model)!.kind}List` });
    }
    if (ATOMIC_STRUCTS.includes(factKey)) node['x-kubernetes-map-type'] = 'atomic';
    structure[defName] = node;
    descriptions[defName] = { '': m.doc, ...propDocs };
  }
  for (const [defName, gvk] of listKinds) structure[defName]!['x-kubernetes-group-version-kind'] = [gvk];
  for (const key of [...Object.keys(FIELD_FACTS), ...ATOMIC_STRUCTS]) {
    if (!usedFacts.has(key) && !structure[definitionName(key)]) throw new Error(`facts.ts: ${key} is not a definition`);
  }
  for (const key of ATOMIC_STRUCTS) {
    if (!structure[definitionName(key)]) throw new Error(`facts.ts: ${key} is not a definition`);
  }
  addUnversionedKinds(structure);
  write(structure, descriptions);
}

const listKinds = new Map<string, { group: string; version: string; kind: string }>();

/** Kubernetes registers these meta kinds in every group-version (DeleteOptions, WatchEvent) or unversioned. */
function addUnversionedKinds(structure: Record<string, SchemaNode>): void {
  const meta = (kind: string) => structure[`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`]!;
  const everyGroupVersion = (kind: string) =>
    SERVED_GROUP_VERSIONS.map((gv) => ({ group: gv.group, version: gv.version, kind }));
  meta('DeleteOptions')['x-kubernetes-group-version-kind'] = everyGroupVersion('DeleteOptions');
  meta('WatchEvent')['x-kubernetes-group-version-kind'] = everyGroupVersion('WatchEvent');
  meta('Status')['x-kubernetes-group-version-kind'] = [{ group: '', version: 'v1', kind: 'Status' }];
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]));
}

function write(structure: Record<string, SchemaNode>, descriptions: Descriptions): void {
  fs.mkdirSync(outDir, { recursive: true });
  const structureJson = JSON.stringify(sortKeys(structure));
  const descriptionJson = JSON.stringify(sortKeys(descriptions));
  const compressed = brotliCompressSync(Buffer.from(descriptionJson), {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: descriptionJson.length },
  }).toString('base64');
  const fingerprint = createHash('sha256').update(structureJson).update(descriptionJson).digest('hex').slice(0, 16);
  const header = '// Generated by scripts/gen-openapi.ts from @kubernetes/client-node and pkg/api/openapi/facts.ts; do not edit.\n'
    + '// Regenerate with: node --import tsx scripts/gen-openapi.ts\n';
  fs.writeFileSync(path.join(outDir, 'structure.ts'), `${header}/** Changes whenever the generated schemas or descriptions change. */\n`
    + `export const BUILTIN_FINGERPRINT = '${fingerprint}';\n/** JSON: definition name → schema without descriptions. */\n`
    + `export const STRUCTURE_JSON = ${JSON.stringify(structureJson)};\n`);
  fs.writeFileSync(path.join(outDir, 'descriptions.ts'), `${header}/** Brotli-compressed JSON, base64: definition name → { '': type description, field: description }. */\n`
    + `export const DESCRIPTIONS_BROTLI = '${compressed}';\n`);
  console.log(`gen-openapi: ${Object.keys(structure).length} definitions, structure ${(structureJson.length / 1024).toFixed(0)} KiB, `
    + `descriptions ${(descriptionJson.length / 1024).toFixed(0)} KiB (${(compressed.length / 1024).toFixed(0)} KiB stored)`);
}

main().catch((err: unknown) => {
  console.error(`gen-openapi: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
