/**
 * The config file (`--config`, default /etc/tsk/config.yaml): a YAML mapping whose keys are
 * flag names, as in k3s. One file serves every command, so a key that belongs to another
 * command is ignored, while a key no command knows is an error (a typo would otherwise be
 * silently ignored). Parsed with YAML's failsafe schema: every scalar stays text and goes
 * through the same parser as flags and env vars, so `0644` is a file mode and not the
 * number 644 or 420 depending on the YAML version.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from './errors.ts';

/** Raw values by key: a scalar as text, a sequence as a list of texts. */
export type ConfigFileValues = Map<string, string | string[]>;

export interface LoadedConfigFile {
  /** The file read, or undefined when the default file does not exist. */
  file: string | undefined;
  values: ConfigFileValues;
}

/**
 * Reads the config file. A missing file is fine when it is the default (most machines have
 * none) and an error when the user named it (a typo in --config must not go unnoticed).
 */
export function loadConfigFile(file: string, explicitlyGivenBy: string | undefined): LoadedConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && explicitlyGivenBy === undefined) return { file: undefined, values: new Map() };
    const by = explicitlyGivenBy ? ` (from ${explicitlyGivenBy})` : '';
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError('config-file', `config file ${file}${by}: ${reason}`, { cause: err });
  }
  return { file, values: parseConfigText(text, file) };
}

export function parseConfigText(text: string, file: string): ConfigFileValues {
  let doc: unknown;
  try {
    doc = parse(text, { schema: 'failsafe', prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    const first = ((err as Error).message.split('\n')[0] ?? '').trim();
    throw new ConfigError('config-file', `${file}: not valid YAML: ${first}`, { cause: err });
  }
  const values: ConfigFileValues = new Map();
  // An empty file (or one holding only comments) is an empty configuration.
  if (doc === null || doc === undefined || doc === '') return values;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('config-file', `${file}: must be a YAML mapping of flag names to values`);
  }
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof value === 'string') {
      values.set(key, value);
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      values.set(key, value as string[]);
    } else if (value !== null && value !== undefined) {
      throw new ConfigError('config-file', `${file}: ${key}: must be a value or a list of values`);
    }
  }
  return values;
}
