/**
 * PatchOptions validation (ValidatePatchOptions in apimachinery): the errors come back as
 * `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`.
 */
import type { FieldError } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import type { PatchKind } from './content-type.ts';

export interface PatchOptions {
  fieldManager?: string;
  /** Only meaningful for apply; Kubernetes refuses it on other patch kinds. */
  force?: boolean;
  dryRun?: string[];
  fieldValidation?: string;
}

export const FIELD_MANAGER_MAX_LENGTH = 128;
/** Kubernetes' cap on the operations of one JSON patch (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const FIELD_VALIDATION_VALUES = ['', 'Ignore', 'Strict', 'Warn'];

export function validatePatchOptions(options: PatchOptions, kind: PatchKind): void {
  const errors: FieldError[] = [];
  const manager = options.fieldManager ?? '';
  if (kind !== 'apply') {
    if (options.force !== undefined) errors.push({ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' });
  } else if (manager === '') {
    errors.push({ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' });
  }
  errors.push(...fieldManagerErrors(manager));
  const dryRun = options.dryRun ?? [];
  if (dryRun.some((v) => v !== 'All')) {
    errors.push({ type: 'FieldValueNotSupported', field: 'dryRun', badValue: dryRun, supported: ['All'] });
  }
  const validation = options.fieldValidation ?? '';
  if (!FIELD_VALIDATION_VALUES.includes(validation)) {
    errors.push({ type: 'FieldValueNotSupported', field: 'fieldValidation', badValue: validation, supported: FIELD_VALIDATION_VALUES });
  }
  if (errors.length > 0) throw apiErrors.invalid('PatchOptions', 'meta.k8s.io', '', errors);
}

/** ValidateFieldManager: at most 128 bytes, printable characters only. */
export function fieldManagerErrors(manager: string): FieldError[] {
  const errors: FieldError[] = [];
  if (Buffer.byteLength(manager) > FIELD_MANAGER_MAX_LENGTH) {
    errors.push({ type: 'FieldValueTooLong', field: 'fieldManager', badValue: manager, detail: `may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  let position = 0;
  for (const ch of manager) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      const code = ch.codePointAt(0)!;
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      errors.push({ type: 'FieldValueInvalid', field: 'fieldManager', badValue: manager, detail: `invalid character U+${hex} (at position ${position})` });
    }
    position += Buffer.byteLength(ch);
  }
  return errors;
}
