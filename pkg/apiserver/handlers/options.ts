/**
 * The query options of writes (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) as
 * Kubernetes decodes and validates them: a bad value is a 422 Invalid naming the options kind
 * (`CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"x"}: …`),
 * with every problem found, in Kubernetes' order.
 */
import { ApiError, fieldErrorMessage } from '../errors.ts';
import { fieldManagerErrors } from '../patch/options.ts';
import { isTrue } from '../requestinfo.ts';

export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions' | 'ListOptions';

export interface OptionProblem {
  field: string;
  /** StatusCause reason: FieldValueNotSupported, FieldValueForbidden, … */
  reason: string;
  /** The error body after the field: `Unsupported value: "x": supported values: "All"`. */
  body: string;
}

/** strconv.Quote: Go's double-quoted form of a string (what %q prints in field errors). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
    if (named[ch] !== undefined) out += named[ch];
    else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) out += ch;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** NewInvalid for an options kind: one message, one cause per problem. */
export function optionsInvalid(kind: OptionsKind, problems: OptionProblem[]): ApiError {
  const texts = problems.map((p) => `${p.field}: ${p.body}`);
  const text = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${text}`, {
    group: 'meta.k8s.io',
    kind,
    causes: problems.map((p) => ({ reason: p.reason, message: p.body, field: p.field })),
  });
}

export function forbidden(field: string, detail: string): OptionProblem {
  return { field, reason: 'FieldValueForbidden', body: `Forbidden: ${detail}` };
}

export function notSupported(field: string, shown: string, supported: string[]): OptionProblem {
  return { field, reason: 'FieldValueNotSupported', body: `Unsupported value: ${shown}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` };
}

/** ValidateFieldManager's problems, as the patch options word them. */
function fieldManagerProblems(manager: string): OptionProblem[] {
  return fieldManagerErrors(manager).map((e) => ({ field: e.field, reason: e.type, body: fieldErrorMessage(e).slice(e.field.length + 2) }));
}

function dryRunProblems(values: string[]): OptionProblem[] {
  if (values.every((v) => v === 'All')) return [];
  return [notSupported('dryRun', `[]string{${values.map(goQuote).join(', ')}}`, ['All'])];
}

function fieldValidationProblems(mode: string): OptionProblem[] {
  if (['', 'Ignore', 'Strict', 'Warn'].includes(mode)) return [];
  return [notSupported('fieldValidation', goQuote(mode), ['', 'Ignore', 'Strict', 'Warn'])];
}

export interface WriteOptions {
  dryRun: boolean;
  /** '' when not given. */
  fieldManager: string;
  fieldValidation: 'Ignore' | 'Warn' | 'Strict';
  force: boolean;
}

/**
 * Create/Update/Patch options from the query, validated as Validate<Kind>Options does; for
 * PatchOptions `applyPatch` says whether the patch is server-side apply.
 */
export function writeOptions(query: URLSearchParams, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', applyPatch = false): WriteOptions {
  const dryRun = query.getAll('dryRun');
  const fieldManager = query.get('fieldManager') ?? '';
  const fieldValidation = query.get('fieldValidation') ?? '';
  const force = query.get('force');
  const problems: OptionProblem[] = [];
  if (kind === 'PatchOptions') {
    if (!applyPatch && force !== null) problems.push(forbidden('force', 'may not be specified for non-apply patch'));
    if (applyPatch && fieldManager === '') problems.push({ field: 'fieldManager', reason: 'FieldValueRequired', body: 'Required value: is required for apply patch' });
  }
  problems.push(...fieldManagerProblems(fieldManager), ...dryRunProblems(dryRun), ...fieldValidationProblems(fieldValidation));
  if (problems.length > 0) throw optionsInvalid(kind, problems);
  return {
    dryRun: dryRun.length > 0,
    fieldManager,
    fieldValidation: fieldValidation === '' ? 'Warn' : (fieldValidation as WriteOptions['fieldValidation']),
    force: force !== null && isTrue(force),
  };
}

/** DeleteOptions' dryRun, from the query (and the body's, checked the same way). */
export function deleteDryRunProblems(values: string[]): OptionProblem[] {
  return dryRunProblems(values);
}
