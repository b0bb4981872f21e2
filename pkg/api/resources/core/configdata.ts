/**
 * ConfigMaps and Secrets: keys, the 1 MiB size limit, `immutable`, and for secrets the type
 * default (Opaque), stringData folded into data, base64 values and the keys each type needs.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, forbidden, invalid, invalidEach, isConfigMapKey, required, tooLong, validateImmutableField } from '../../validation/index.ts';
import { coreDefinition } from './definition.ts';

export const MAX_DATA_SIZE = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type StringMap = Record<string, string>;

function validateKeys(map: StringMap | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of Object.keys(map ?? {})) errs.push(...invalidEach(path.key(key), key, isConfigMapKey(key)));
  return errs;
}

/** Data and binaryData may not be rewritten once the object is immutable. */
function validateImmutableData(obj: KObject, old: KObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (validateImmutableField(obj[f] ?? {}, old[f] ?? {}, f).length > 0) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

function validateConfigMap(cm: KObject): FieldError[] {
  const errs = [...validateKeys(cm.data, FieldPath.root('data')), ...validateKeys(cm.binaryData, FieldPath.root('binaryData'))];
  let size = 0;
  for (const [key, value] of Object.entries((cm.data ?? {}) as StringMap)) {
    size += Buffer.byteLength(String(value));
    if (cm.binaryData && key in cm.binaryData) errs.push(invalid(FieldPath.root('data').key(key), key, 'duplicate of key present in binaryData'));
  }
  for (const value of Object.values((cm.binaryData ?? {}) as StringMap)) {
    if (!BASE64.test(String(value))) continue;
    size += Buffer.from(String(value), 'base64').length;
  }
  if (size > MAX_DATA_SIZE) errs.push(tooLong('', MAX_DATA_SIZE));
  return errs;
}

export const configMapStrategy: Strategy = {
  validate: validateConfigMap,
  validateUpdate: (cm, old) => [...validateConfigMap(cm), ...validateImmutableData(cm, old, ['data', 'binaryData'])],
};

/** v1 conversion: stringData entries win over data and are stored base64-encoded. */
export function defaultSecret(secret: KObject): void {
  if (!secret.type) secret.type = 'Opaque';
  const stringData = secret.stringData as StringMap | undefined;
  if (stringData && typeof stringData === 'object') {
    secret.data = { ...(secret.data ?? {}) };
    for (const [key, value] of Object.entries(stringData)) secret.data[key] = Buffer.from(String(value)).toString('base64');
  }
  delete secret.stringData;
}

const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function decoded(secret: KObject, key: string): string | undefined {
  const value = secret.data?.[key];
  return typeof value === 'string' && BASE64.test(value) ? Buffer.from(value, 'base64').toString() : undefined;
}

function validateSecretType(secret: KObject): FieldError[] {
  const data = (secret.data ?? {}) as StringMap;
  const dataPath = FieldPath.root('data');
  const errs: FieldError[] = [];
  for (const key of REQUIRED_KEYS[secret.type] ?? []) if (!(key in data)) errs.push(required(dataPath.key(key)));
  if (secret.type === 'kubernetes.io/service-account-token' && !secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(required(FieldPath.root('metadata').child('annotations').key('kubernetes.io/service-account.name')));
  }
  if (secret.type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(required(dataPath.key('username')), required(dataPath.key('password')));
  }
  for (const key of ['.dockercfg', '.dockerconfigjson']) {
    const text = REQUIRED_KEYS[secret.type]?.includes(key) ? decoded(secret, key) : undefined;
    if (text === undefined) continue;
    try {
      JSON.parse(text);
    } catch (e) {
      errs.push(invalid(dataPath.key(key), '<secret contents redacted>', (e as Error).message));
    }
  }
  return errs;
}

function validateSecret(secret: KObject): FieldError[] {
  const data = (secret.data ?? {}) as StringMap;
  const errs = validateKeys(data, FieldPath.root('data'));
  let size = 0;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !BASE64.test(value)) {
      errs.push(invalid(FieldPath.root('data').key(key), '<secret contents redacted>', 'illegal base64 data'));
      continue;
    }
    size += Buffer.from(value, 'base64').length;
  }
  if (size > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  errs.push(...validateSecretType(secret));
  return errs;
}

export const secretStrategy: Strategy = {
  defaults: defaultSecret,
  validate: validateSecret,
  validateUpdate: (secret, old) => [
    ...validateSecret(secret),
    ...validateImmutableField(secret.type, old.type, 'type'),
    ...validateImmutableData(secret, old, ['data']),
  ],
};

export function configMapResource(): ResourceDefinition {
  return coreDefinition({ kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'], strategy: configMapStrategy });
}

export function secretResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
    strategy: secretStrategy,
    fieldSelectors: { type: (s) => s.type ?? '' },
  });
}
