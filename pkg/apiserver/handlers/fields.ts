/**
 * Server-side field validation (fieldValidation=Ignore|Warn|Strict; Warn when absent, as
 * Kubernetes 1.27+): unknown fields are refused under Strict and reported as Warning headers
 * under Warn, which kubectl prints as "Warning: unknown field ...".
 */
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import type { Scope } from './context.ts';

export function checkFields(scope: Scope, obj: KObject): Record<string, string> {
  const mode = scope.query.get('fieldValidation') ?? 'Warn';
  if (mode !== 'Ignore' && mode !== 'Warn' && mode !== 'Strict') {
    throw apiErrors.badRequest(`fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Strict", "Warn"`);
  }
  const find = scope.ctx.unknownFields;
  if (mode === 'Ignore' || !find) return {};
  const unknown = find(scope.def, obj, scope.info.subresource);
  if (unknown.length === 0) return {};
  if (mode === 'Strict') {
    const version = obj.apiVersion?.includes('/') ? obj.apiVersion.split('/')[1] : obj.apiVersion;
    throw apiErrors.badRequest(`${obj.kind} in version "${version}" cannot be handled as a ${obj.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  return { warning: unknown.map((f) => `299 - ${JSON.stringify(`unknown field "${f}"`)}`).join(', ') };
}
