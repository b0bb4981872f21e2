/** JSON merge patch, RFC 7386: objects merge recursively, null deletes, anything else replaces. */
import type { Json } from '../../api/types.ts';
import { isObject, type JsonObject } from './json.ts';

export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return withoutNulls(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/** Objects inside a replacing array lose their nulls too, as Kubernetes' merge-patch library prunes them. */
function withoutNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map((v) => (isObject(v) ? applyMergePatch({}, v) : v));
  return value;
}
