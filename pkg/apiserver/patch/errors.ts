/**
 * The Status errors a PATCH request can end in, with Kubernetes' wording. Some are odd on
 * purpose: Kubernetes answers a failed JSON patch with a generic 422 that drops the reason,
 * and a strategic merge patch that its library rejects without a typed error becomes a 500
 * whose message is the library's text and whose reason is empty.
 */
import { ApiError, apiErrors, type StatusReason } from '../errors.ts';

/** NewGenericServerResponse(422, …) as the patch handler builds it: the cause is not passed on. */
export function unprocessablePatch(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

/**
 * An error that is no metav1.Status: the API server turns it into a 500 with reason "" and the
 * error's text, which kubectl prints as `Error from server: <text>`.
 */
export function unknownServerError(message: string): ApiError {
  // StatusReason has no '' member; Kubernetes' StatusReasonUnknown is the empty string.
  return new ApiError(500, '' as StatusReason, message);
}

export function patchBadRequest(message: string): ApiError {
  return apiErrors.badRequest(message);
}

/** 413 for a JSON patch with too many operations (the message is Kubernetes'). */
export function tooManyOperations(limit: number, got: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: The allowed maximum operations in a JSON patch is ${limit}, got ${got}`);
}
