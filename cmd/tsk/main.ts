/**
 * tsk's entry point: parses the command line and dispatches to a command; nothing else lives
 * here. Built into dist/tsk by scripts/build.ts; in development: npx tsx cmd/tsk/main.ts.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { runAgent, runAgentJoin } from '../../pkg/agent/command.ts';
import { runCheckConfig } from '../../pkg/checkconfig/run.ts';
import { runCli, type CommandHandlers } from '../../pkg/cli/program.ts';
import { isComponentsWorkerInput, runComponentsWorker } from '../../pkg/server/components-worker.ts';
import { runCertificate } from '../../pkg/server/certificate-command.ts';
import { runServer } from '../../pkg/server/run.ts';
import { runSimulate } from '../../pkg/simulate/run.ts';
import { runEtcdSnapshot } from '../../pkg/snapshot/command.ts';

const handlers: CommandHandlers = {
  server: runServer,
  agent: runAgent,
  agentJoin: runAgentJoin,
  simulate: runSimulate,
  checkConfig: () => runCheckConfig(),
  certificate: runCertificate,
  etcdSnapshot: (config, args) => runEtcdSnapshot(config, args),
};

async function main(): Promise<number> {
  try {
    return await runCli(process.argv.slice(2), handlers, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
    });
  } catch (err) {
    // Anything a command could not start with (data dir in use, datastore unreachable…).
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tsk: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

// The server's components thread enters here too (pkg/server/components-worker.ts).
if (!isMainThread && isComponentsWorkerInput(workerData)) {
  runComponentsWorker(workerData);
} else {
  // Not a top-level await: the single executable is a CommonJS bundle (Node 20 SEA), where
  // top-level await does not exist. process.exit, because a command is done when it returns,
  // whatever timers a library left behind.
  void main().then((code) => {
    process.stdout.write('', () => process.exit(code));
  });
}
