/** Stable codes for containerd problems: the user fixes each one differently. */
export type ContainerdErrorCode =
  | 'not-found' // containerd or ctr is not installed
  | 'not-ready' // containerd started but never answered, or its CRI plugin failed to load
  | 'exited' // containerd exited while we waited for it
  | 'ctr' // a ctr command failed (import, version)
  | 'image'; // an image tarball could not be read or imported

export class ContainerdError extends Error {
  readonly code: ContainerdErrorCode;

  constructor(code: ContainerdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerdError';
    this.code = code;
  }
}
