/** Stable codes for data-dir problems: the user fixes each one differently. */
export type DataDirErrorCode =
  | 'in-use' // another live tsk holds the data dir
  | 'not-a-directory'
  | 'permission'; // cannot create or change the layout (not root? read-only file system?)

export class DataDirError extends Error {
  readonly code: DataDirErrorCode;

  constructor(code: DataDirErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataDirError';
    this.code = code;
  }
}
