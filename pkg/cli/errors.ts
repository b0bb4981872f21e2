/**
 * Stable codes of command-line and config-file errors. The message is what the user reads
 * (one line, naming the flag, env var or config file key); the code is what tests and callers
 * branch on, so messages can be reworded without breaking them.
 */
export type ConfigErrorCode =
  | 'unknown-flag' // a flag no command declares (commander) or a config file key no flag has
  | 'bad-value' // a value that does not parse as its flag's type
  | 'missing-value' // a required flag absent from every source
  | 'conflict' // two flags that cannot be combined
  | 'config-file' // the config file cannot be read or is not a YAML mapping
  | 'usage'; // anything else commander rejects (missing argument, excess arguments)

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;

  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
    this.code = code;
  }
}

export function isConfigError(err: unknown, code?: ConfigErrorCode): err is ConfigError {
  return err instanceof ConfigError && (code === undefined || err.code === code);
}
