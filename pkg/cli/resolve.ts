/**
 * Precedence: flag > env var > config file > default, per flag. A repeatable flag takes its
 * whole list from the first source that has one (lists are not merged across sources, so a
 * flag can always replace what the config file says). Every value goes through its kind's
 * parser and its flag's check, and an error names where the value came from.
 */
import { ConfigError } from './errors.ts';
import { loadConfigFile, type ConfigFileValues } from './config-file.ts';
import {
  envVarsOf, flagSpec, flagsOf, type CommandName, type FlagName, type FlagSpec, type FlagValue, type KindValue,
} from './flags.ts';
import {
  parseBool, parseCidr, parseCount, parseDuration, parseFileMode, parseIp, parsePath, parsePort, parseUrl, splitList, ValueError,
} from './values.ts';

export type Source =
  | { kind: 'flag' }
  | { kind: 'env'; name: string }
  | { kind: 'file'; file: string }
  | { kind: 'default' };

/** Where a flag's value came from, as a user would look for it: --x, env X, file: key. */
export function describeSource(flag: string, source: Source): string {
  switch (source.kind) {
    case 'flag': return `--${flag}`;
    case 'env': return `env ${source.name}`;
    case 'file': return `${source.file}: ${flag}`;
    case 'default': return `--${flag} (default)`;
  }
}

/** What commander parsed: only flags given on the command line, as raw text. */
export type CliValues = ReadonlyMap<string, string | readonly string[]>;

type Scalar = Exclude<keyof KindValue, 'list'>;
const PARSERS: { [K in Scalar]: (raw: string) => KindValue[K] } = {
  string: (raw) => raw,
  bool: parseBool,
  count: parseCount,
  port: parsePort,
  ip: parseIp,
  cidr: parseCidr,
  duration: parseDuration,
  mode: parseFileMode,
  url: parseUrl,
  path: parsePath,
};

export class ResolvedFlags {
  constructor(
    readonly command: CommandName,
    private readonly values: ReadonlyMap<string, unknown>,
    private readonly sources: ReadonlyMap<string, Source>,
    /** The config file that was read, if any. */
    readonly configFile: string | undefined,
  ) {}

  get<N extends FlagName>(name: N): FlagValue<N> {
    if (!flagSpec(name)?.commands.includes(this.command)) throw new Error(`flag --${name} is not a flag of "tsk ${this.command}"`);
    return this.values.get(name) as FlagValue<N>;
  }

  source(name: FlagName): Source {
    return this.sources.get(name) ?? { kind: 'default' };
  }

  /** True when the user set the flag somewhere (flag, env or file), not just by default. */
  isSet(name: FlagName): boolean {
    return this.source(name).kind !== 'default';
  }

  describe(name: FlagName): string {
    return describeSource(name, this.source(name));
  }
}

function pickRaw(
  flag: FlagSpec, cli: CliValues, env: NodeJS.ProcessEnv, file: ConfigFileValues, fileName: string | undefined,
): { raw: string | readonly string[]; source: Source } | undefined {
  const fromCli = cli.get(flag.name);
  if (fromCli !== undefined) return { raw: fromCli, source: { kind: 'flag' } };
  for (const name of envVarsOf(flag)) {
    // An empty env var counts as unset, as a shell's `TSK_X= tsk server` means "no value".
    const value = env[name];
    if (value !== undefined && value !== '') return { raw: value, source: { kind: 'env', name } };
  }
  const fromFile = file.get(flag.name);
  if (fromFile !== undefined && fromFile !== '' && !flag.cliOnly && fileName !== undefined) {
    return { raw: fromFile, source: { kind: 'file', file: fileName } };
  }
  if (flag.default !== undefined) return { raw: flag.default, source: { kind: 'default' } };
  return undefined;
}

function parseValue(flag: FlagSpec, raw: string | readonly string[], source: Source): unknown {
  try {
    if (flag.kind === 'list') {
      const items = splitList(typeof raw === 'string' ? [raw] : raw);
      for (const item of items) flag.check?.(item);
      return items;
    }
    if (typeof raw !== 'string') {
      if (raw.length !== 1) throw new ValueError(`takes one value, got a list of ${raw.length}`);
      raw = raw[0]!;
    }
    const value = PARSERS[flag.kind](raw.trim());
    flag.check?.(raw.trim());
    return value;
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw new ConfigError('bad-value', `${describeSource(flag.name, source)}: ${err.message}`, { cause: err });
  }
}

/** Keys of the config file that no flag has, or that only the command line may set. */
function checkFileKeys(values: ConfigFileValues, file: string): void {
  for (const key of values.keys()) {
    const flag = flagSpec(key);
    if (flag === undefined) throw new ConfigError('unknown-flag', `${file}: ${key}: no such flag (keys are flag names without the leading --)`);
    if (flag.cliOnly || flag.name === 'config') throw new ConfigError('bad-value', `${file}: ${key}: can only be given on the command line`);
  }
}

/** Resolves every flag of `command` from the command line, the environment and the config file. */
export function resolveFlags(command: CommandName, cli: CliValues, env: NodeJS.ProcessEnv): ResolvedFlags {
  const configFlag = flagSpec('config')!;
  // The config file's own location cannot come from the config file.
  const configPick = pickRaw(configFlag, cli, env, new Map(), undefined)!;
  const configPath = parseValue(configFlag, configPick.raw, configPick.source) as string;
  const explicit = configPick.source.kind === 'default' ? undefined : describeSource('config', configPick.source);
  const loaded = loadConfigFile(configPath, explicit);
  if (loaded.file !== undefined) checkFileKeys(loaded.values, loaded.file);

  const values = new Map<string, unknown>();
  const sources = new Map<string, Source>();
  for (const flag of flagsOf(command)) {
    const picked = flag.name === 'config' ? configPick : pickRaw(flag, cli, env, loaded.values, loaded.file);
    if (picked === undefined) continue;
    values.set(flag.name, parseValue(flag, picked.raw, picked.source));
    sources.set(flag.name, picked.source);
  }
  return new ResolvedFlags(command, values, sources, loaded.file);
}
