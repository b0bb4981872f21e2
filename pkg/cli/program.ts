/**
 * The command tree (commander) built from the flag table, and the one place where command-line
 * errors become the user-facing contract: a single line on stderr starting with "tsk: ", and
 * exit code 1. Handlers get typed config objects and return the process exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  loadCommandConfig, type AgentConfig, type CertificateConfig, type ConfigOf, type EtcdSnapshotConfig, type AgentJoinConfig, type ServerConfig, type SimulateConfig,
} from './commands.ts';
import { ConfigError } from './errors.ts';
import { CATEGORIES, envVarsOf, flagsOf, type CommandName, type FlagSpec } from './flags.ts';
import { versionText } from './version.ts';

export interface CommandHandlers {
  server(config: ServerConfig): Promise<number>;
  agent(config: AgentConfig): Promise<number>;
  agentJoin(config: AgentJoinConfig): Promise<number>;
  simulate(config: SimulateConfig): Promise<number>;
  /** `tsk check-config`: takes no flags, only looks at the host. */
  checkConfig(): Promise<number>;
  /** `tsk certificate rotate|check`. */
  certificate(config: CertificateConfig): Promise<number>;
  /** `tsk etcd-snapshot save|ls|delete|prune|restore`; `args` are the names or file given. */
  etcdSnapshot(config: EtcdSnapshotConfig, args: string[]): Promise<number>;
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

function describe(flag: FlagSpec): string {
  let text = flag.help;
  const def = flag.defaultText ?? (typeof flag.default === 'string' && flag.kind !== 'bool' ? flag.default : undefined);
  if (def !== undefined) text += ` (default: ${def})`;
  const env = envVarsOf(flag)[0];
  if (env !== undefined) text += ` [$${env}]`;
  return text;
}

function option(flag: FlagSpec): Option {
  const takesValue = flag.kind !== 'bool';
  const opt = new Option(takesValue ? `--${flag.name} <${flag.placeholder ?? 'VALUE'}>` : `--${flag.name}`, describe(flag));
  if (flag.kind === 'list') opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return opt.helpGroup(CATEGORIES[flag.category]);
}

/** The flags the user typed, as raw text: everything else comes from env, file or default. */
function cliValues(cmd: Command): Map<string, string | string[]> {
  const values = new Map<string, string | string[]>();
  const opts = cmd.opts<Record<string, unknown>>();
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    if (cmd.getOptionValueSource(key) !== 'cli') continue;
    const value = opts[key];
    values.set(opt.long!.slice(2), value === true ? 'true' : (value as string | string[]));
  }
  return values;
}

/** What a run leaves behind: the command's exit code, and which command commander rejected. */
interface RunState {
  exitCode: number;
  /** Commander's errors do not say which command raised them; the help pointer needs it. */
  failedCommand: string;
}

function configure(cmd: Command, io: CliIo, state: RunState, path: string): Command {
  return cmd
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // Errors are printed once, by runCli, in the one-line "tsk: " form.
      outputError: () => {
        state.failedCommand = path;
      },
    })
    .helpOption('-h, --help', 'show help');
}

function subcommand(name: string, command: CommandName, summary: string, io: CliIo, state: RunState): Command {
  const cmd = configure(new Command(name), io, state, `tsk ${command}`).description(summary);
  // Categories print in table order, then commander's own Options: group (--help).
  for (const heading of Object.values(CATEGORIES)) {
    for (const flag of flagsOf(command)) if (CATEGORIES[flag.category] === heading) cmd.addOption(option(flag));
  }
  return cmd;
}

export function buildProgram(handlers: CommandHandlers, io: CliIo, state: RunState): Command {
  const program = configure(new Command('tsk'), io, state, 'tsk')
    .description('A k3s-class Kubernetes distribution: one executable for the control plane and the worker')
    .version(versionText(), '-v, --version', 'print the version')
    .enablePositionalOptions();

  type Run<C extends CommandName> = (config: ConfigOf<C>) => Promise<number>;
  const action = <C extends CommandName>(command: C, run: Run<C>) => async (_opts: unknown, cmd: Command) => {
    const config = loadCommandConfig(command, cliValues(cmd), io.env);
    if (config.printConfig) {
      // Secrets stay out of terminals, logs and bug reports.
      const shown = { ...config, ...('token' in config && config.token !== undefined ? { token: '(redacted)' } : {}) };
      io.stdout(`${JSON.stringify(shown, null, 2)}\n`);
      state.exitCode = 0;
      return;
    }
    state.exitCode = await run(config);
  };

  program.addCommand(
    subcommand('server', 'server', 'Run the control plane (and, unless --disable-agent, a node)', io, state)
      .action(action('server', (c) => handlers.server(c))),
  );
  const agent = subcommand('agent', 'agent', 'Run a node from the credentials stored by "tsk agent join"', io, state)
    .enablePositionalOptions()
    .action(action('agent', (c) => handlers.agent(c)));
  agent.addCommand(
    subcommand('join', 'agent join', 'Join a server: verify its CA against the token, store the node credentials, run', io, state)
      .action(action('agent join', (c) => handlers.agentJoin(c))),
  );
  program.addCommand(agent);
  program.addCommand(
    subcommand('simulate', 'simulate', 'Run simulated nodes against a server (no container runtime)', io, state)
      .action(action('simulate', (c) => handlers.simulate(c))),
  );
  const certificate = configure(new Command('certificate'), io, state, 'tsk certificate').description('Manage the server\'s certificates');
  certificate.addCommand(
    subcommand('rotate', 'certificate rotate', 'Re-issue the server\'s leaf certificates now (a running server switches to them without a restart)', io, state)
      .action(action('certificate rotate', (c) => handlers.certificate(c))),
  );
  certificate.addCommand(
    subcommand('check', 'certificate check', 'List the server\'s certificates and when they expire', io, state)
      .action(action('certificate check', (c) => handlers.certificate(c))),
  );
  program.addCommand(certificate);
  const snapshot = configure(new Command('etcd-snapshot'), io, state, 'tsk etcd-snapshot').description('Save, list, prune and restore datastore snapshots');
  const SNAPSHOT_COMMANDS = [
    ['save', [], '', 'Save a snapshot of the datastore now (asks the running server, or opens a stopped one)'],
    ['ls', ['list', 'l'], '', 'List the snapshots in the snapshot folder'],
    ['delete', [], '<names...>', 'Delete snapshots by name'],
    ['prune', [], '', 'Delete the oldest snapshots of --name beyond --snapshot-retention'],
    ['restore', [], '<snapshot>', 'Restore a snapshot (file or name) into the datastore of a stopped server (--datastore-endpoint: sqlite, or an empty etcd), whichever datastore it came from'],
  ] as const;
  for (const [name, aliases, args, summary] of SNAPSHOT_COMMANDS) {
    const command = `etcd-snapshot ${name}` as const;
    const sub = subcommand(name, command, summary, io, state).aliases([...aliases]);
    if (args) sub.argument(args);
    // Commander passes the positional arguments first; the options and the command come last.
    sub.action((...params: unknown[]) => action(command, (c) => handlers.etcdSnapshot(c, sub.args))(params.at(-2), params.at(-1) as Command));
    snapshot.addCommand(sub);
  }
  program.addCommand(snapshot);
  program.addCommand(
    configure(new Command('check-config'), io, state, 'tsk check-config')
      .description('Report what this host lacks to run the agent (exit code 1 when something required is missing)')
      .action(async () => {
        state.exitCode = await handlers.checkConfig();
      }),
  );
  return program;
}

/** One line: commander's multi-line messages ("Did you mean…?") are joined. */
function oneLine(message: string): string {
  return message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}

/** Parses argv (without node and script), runs the command, returns the exit code. */
export async function runCli(argv: readonly string[], handlers: CommandHandlers, io: CliIo): Promise<number> {
  const state: RunState = { exitCode: 0, failedCommand: 'tsk' };
  const program = buildProgram(handlers, io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return err.exitCode;
      }
      io.stderr(`tsk: ${oneLine(err.message)} (see ${state.failedCommand} --help)\n`);
      return err.exitCode === 0 ? 1 : err.exitCode;
    }
    if (err instanceof ConfigError) {
      io.stderr(`tsk: ${oneLine(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}
