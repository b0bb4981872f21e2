/**
 * Server-side field validation (fieldValidation=Ignore|Warn|Strict; Warn when absent, as
 * Kubernetes 1.27+): unknown and duplicate fields are refused under Strict and reported as
 * Warning headers under Warn, which kubectl prints as "Warning: unknown field ...".
 */
import { strictBodyError, warningHeaderValue } from '../../api/openapi/fieldvalidation.ts';
import type { KObject } from '../../api/types.ts';
import { ApiError } from '../errors.ts';
import type { Scope } from './context.ts';
import { writeOptions } from './options.ts';

/** The request's fieldValidation (Warn when absent); a bad value is refused as CreateOptions. */
export function fieldValidationMode(query: URLSearchParams): 'Ignore' | 'Warn' | 'Strict' {
  return writeOptions(query, 'CreateOptions').fieldValidation;
}

/**
 * Checks a decoded body; returns the response headers to add (warnings) or throws under Strict.
 * `yamlDuplicates` is go-yaml's strict error for a YAML body: one problem when refusing, one
 * warning per line when warning (as addStrictDecodingWarnings splits it).
 */
export function checkFields(scope: Scope, obj: KObject, rawJson?: string, yamlDuplicates?: string): Record<string, string> {
  const mode = fieldValidationMode(scope.query);
  const version = obj.apiVersion?.includes('/') ? obj.apiVersion.split('/')[1]! : (obj.apiVersion ?? '');
  // Whatever fieldValidation says, a value of the wrong type is refused, as decoding into Go structs does.
  const mismatch = scope.def.custom ? undefined : scope.ctx.typeProblem?.(scope.def, obj);
  if (mismatch) {
    const kind = obj.kind ?? scope.def.kind;
    throw new ApiError(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: ${mismatch}`);
  }
  const find = scope.ctx.fieldProblems;
  if (mode === 'Ignore') return {};
  const found = find ? find(scope.def, obj, rawJson) : [];
  const problems = yamlDuplicates ? [yamlDuplicates, ...found] : found;
  if (problems.length === 0) return {};
  if (mode === 'Strict') {
    throw strictBodyError(obj.kind ?? scope.def.kind, version, problems);
  }
  const warnings = yamlDuplicates ? [...yamlDuplicates.split('\n').slice(1).map((l) => l.trim()), ...found] : found;
  return { warning: warnings.map(warningHeaderValue).join(', ') };
}
