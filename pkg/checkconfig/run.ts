/**
 * `tsk check-config`: what this host lacks for the agent, one line per check, in the order an
 * installer would fix them. Exit code 0 when nothing required is missing, 1 otherwise, so
 * install scripts can stop early.
 */
import { runChecks, type CheckResult } from './checks.ts';
import { realHost, type HostView } from './host.ts';

export function formatResult(result: CheckResult): string {
  const line = `${result.status.padEnd(7)} ${result.what}: ${result.detail}`;
  return result.fix && result.status !== 'ok' ? `${line} -> ${result.fix}` : line;
}

export function summary(results: CheckResult[]): string {
  const missing = results.filter((r) => r.status === 'missing').length;
  const warnings = results.filter((r) => r.status === 'warning').length;
  const counts = `${missing} missing, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return missing > 0 ? `${counts}: the agent cannot run pods on this host until the missing parts are fixed` : `${counts}: this host can run the agent`;
}

export async function runCheckConfig(write: (text: string) => void = (t) => process.stdout.write(t), host: HostView = realHost()): Promise<number> {
  const results = runChecks(host);
  write(`${results.map(formatResult).join('\n')}\n\n${summary(results)}\n`);
  return results.some((r) => r.status === 'missing') ? 1 : 0;
}
