/** The deploy controller's one error class; `code` says which step failed. */
export type DeployErrorCode = 'parse' | 'read' | 'unknown-kind' | 'apply' | 'crd-not-established' | 'delete' | 'stale';

export class DeployError extends Error {
  constructor(readonly code: DeployErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeployError';
  }
}
