/** Which patch kind a PATCH request's Content-Type names, as Kubernetes' patch handler reads it. */
import { ApiError } from '../errors.ts';

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

const KINDS: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The media types a resource accepts for PATCH, in the order Kubernetes lists them. */
export function supportedPatchTypes(strategicAllowed: boolean): string[] {
  const types = ['application/json-patch+json', 'application/merge-patch+json'];
  if (strategicAllowed) types.push('application/strategic-merge-patch+json');
  types.push('application/apply-patch+yaml');
  return types;
}

/**
 * The patch kind for a Content-Type header (parameters such as `; charset=utf-8` ignored), or a
 * 415 naming the accepted types. CBOR apply is refused as Kubernetes refuses it without its
 * CBOR feature gate; strategic merge is refused for custom resources (strategicAllowed false).
 */
export function patchKindFor(contentType: string | undefined, strategicAllowed = true): PatchKind {
  const raw = contentType ?? '';
  const semicolon = raw.indexOf(';');
  const mediaType = (semicolon > 0 ? raw.slice(0, semicolon) : raw).trim();
  const kind = KINDS[mediaType];
  if (kind === undefined || (kind === 'strategic' && !strategicAllowed)) {
    throw unsupportedPatchMediaType(supportedPatchTypes(strategicAllowed));
  }
  return kind;
}

/** negotiation.NewUnsupportedMediaTypeError: `the body of the request was in an unknown format - accepted media types include: …`. */
function unsupportedPatchMediaType(accepted: string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}
