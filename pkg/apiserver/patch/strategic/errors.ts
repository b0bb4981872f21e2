/**
 * The errors of apimachinery's mergepatch package, mapped as the patch handler maps them:
 * malformed directives are 400, lists of lists 422, and everything else an untyped 500 whose
 * message is the library's own text.
 */
import type { ApiError } from '../../errors.ts';
import { goFormat, isObject } from '../json.ts';
import { patchBadRequest, unknownServerError, unprocessablePatch } from '../errors.ts';

export const badPrimitiveListFormat = () => patchBadRequest('invalid patch format of primitive list');
export const badRetainKeysFormat = () => patchBadRequest('invalid patch format of retainKeys');
export const badSetElementOrderFormat = () => patchBadRequest('invalid patch format of setElementOrder list');
export const noListOfLists = () => unprocessablePatch();

export function noMergeKey(item: unknown, key: string): ApiError {
  return unknownServerError(`map: ${goFormat(item)} does not contain declared merge key: ${key}`);
}

export function badArgType(expected: 'map' | 'list', actual: unknown): ApiError {
  const expectedName = expected === 'map' ? 'map[string]interface {}' : '[]interface {}';
  return unknownServerError(`expected a ${expectedName}, but received a ${goTypeName(actual)}`);
}

export function badPatchType(directive: unknown, map: unknown): ApiError {
  return unknownServerError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(map)}`);
}

/** reflect.TypeOf(v) of a value decoded by encoding/json, as Go prints it. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}
