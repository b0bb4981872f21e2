/**
 * Message definitions in a compact text form, one message per line:
 *
 *   Name: <field>, <field>, …        or        Alias = OtherName
 *   field := number ['^'] jsonName ['!'] [type]
 *   type  := ['*' | '[]' | '{}'] base     base := s | i32 | i64 | b | by | f64 | Special | MessageName
 *
 * The markers carry what Go's struct tags say and the wire alone cannot: `*` a pointer field
 * (absent from the wire when unset, its zero value meaningful), `!` a field whose JSON tag lacks
 * omitempty (Go prints its zero value), `^` an embedded struct that JSON inlines but protobuf
 * nests, `[]` repeated, `{}` a map with string keys. An omitted type means string.
 */

export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'double';

/** Kubernetes types whose JSON form is not their protobuf form (see special.ts). */
export const SPECIAL_TYPES = ['Time', 'MicroTime', 'IntOrString', 'Quantity', 'RawExtension', 'FieldsV1', 'ExtraValue'] as const;
export type SpecialType = (typeof SPECIAL_TYPES)[number];

export type FieldType =
  | { kind: 'scalar'; scalar: ScalarType }
  | { kind: 'special'; special: SpecialType }
  | { kind: 'message'; message: MessageDef };

export interface FieldDef {
  number: number;
  name: string;
  type: FieldType;
  label: 'single' | 'repeated' | 'map';
  pointer: boolean;
  keepZero: boolean;
  inline: boolean;
}

export interface MessageDef {
  name: string;
  /** In Go struct order, which is the key order of Kubernetes' JSON. */
  fields: FieldDef[];
  /** In field-number order, which is the order gogo writes. */
  wireOrder: FieldDef[];
  byNumber: Map<number, FieldDef>;
}

const SCALARS: Record<string, ScalarType> = { s: 'string', i32: 'int32', i64: 'int64', b: 'bool', by: 'bytes', f64: 'double' };

interface PendingField extends Omit<FieldDef, 'type'> {
  typeName: string;
}

/** One API package's definitions; type names resolve in the package first, then in `fallbacks`. */
export interface PackageSource {
  name: string;
  text: string;
  fallbacks: string[];
}

const FIELD = /^(\d+)\s+(\^)?([A-Za-z][A-Za-z0-9]*)(!)?(?:\s+(\*|\[\]|\{\})?([A-Za-z][A-Za-z0-9.]*))?$/;

function parseField(message: string, text: string): PendingField {
  const m = FIELD.exec(text.trim());
  if (!m) throw new Error(`protobuf definitions: bad field "${text}" in ${message}`);
  const [, num, inline, name, bang, modifier, base] = m;
  return {
    number: Number(num),
    name: name!,
    typeName: base ?? 's',
    label: modifier === '[]' ? 'repeated' : modifier === '{}' ? 'map' : 'single',
    pointer: modifier === '*',
    keepZero: bang === '!',
    inline: inline === '^',
  };
}

/**
 * Parses every package and resolves type names. The result maps "package.Name" to its
 * definition; messages refer to each other directly, so recursion needs no lookups later.
 */
export function buildMessages(sources: PackageSource[]): Map<string, MessageDef> {
  const pending = new Map<string, { def: MessageDef; fields: PendingField[]; pkg: PackageSource }>();
  const aliases: { key: string; target: string; pkg: PackageSource }[] = [];
  for (const pkg of sources) {
    for (const rawLine of pkg.text.split('\n')) {
      const line = rawLine.trim();
      if (line === '') continue;
      const alias = /^([A-Za-z0-9]+)\s*=\s*([A-Za-z0-9.]+)$/.exec(line);
      if (alias) {
        aliases.push({ key: `${pkg.name}.${alias[1]}`, target: alias[2]!, pkg });
        continue;
      }
      const colon = line.indexOf(':');
      if (colon < 0) throw new Error(`protobuf definitions: bad line "${line}" in ${pkg.name}`);
      const name = line.slice(0, colon).trim();
      const fields = line
        .slice(colon + 1)
        .split(',')
        .filter((f) => f.trim() !== '')
        .map((f) => parseField(name, f));
      const def: MessageDef = { name, fields: [], wireOrder: [], byNumber: new Map() };
      pending.set(`${pkg.name}.${name}`, { def, fields, pkg });
    }
  }
  const result = new Map<string, MessageDef>();
  for (const [key, { def }] of pending) result.set(key, def);

  const lookup = (typeName: string, pkg: PackageSource): MessageDef | undefined => {
    if (typeName.includes('.')) return result.get(typeName);
    for (const candidate of [pkg.name, ...pkg.fallbacks]) {
      const found = result.get(`${candidate}.${typeName}`);
      if (found) return found;
    }
    return undefined;
  };
  for (const { key, target, pkg } of aliases) {
    const found = lookup(target, pkg);
    if (!found) throw new Error(`protobuf definitions: unknown alias target ${target}`);
    result.set(key, found);
  }

  for (const { def, fields, pkg } of pending.values()) {
    for (const f of fields) {
      const { typeName, ...rest } = f;
      let type: FieldType;
      if (SCALARS[typeName]) type = { kind: 'scalar', scalar: SCALARS[typeName]! };
      else if ((SPECIAL_TYPES as readonly string[]).includes(typeName)) type = { kind: 'special', special: typeName as SpecialType };
      else {
        const message = lookup(typeName, pkg);
        if (!message) throw new Error(`protobuf definitions: unknown type ${typeName} in ${pkg.name}.${def.name}`);
        type = { kind: 'message', message };
      }
      const field: FieldDef = { ...rest, type };
      if (def.byNumber.has(field.number)) throw new Error(`protobuf definitions: duplicate field ${field.number} in ${def.name}`);
      def.fields.push(field);
      def.byNumber.set(field.number, field);
    }
    def.wireOrder = [...def.fields].sort((a, b) => a.number - b.number);
  }
  return result;
}
