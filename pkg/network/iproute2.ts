/**
 * iproute2 from the agent: `ip` and `bridge` as child processes, reading with -j (JSON) and
 * writing many changes through one -batch process, so a cluster of a hundred nodes costs a
 * handful of processes per sync rather than three hundred. With `netns` every command runs in
 * that named namespace (`-n NAME`): tests never touch the machine's own routes.
 */
import { spawn } from 'node:child_process';
import { NetworkError } from './errors.ts';

export type Tool = 'ip' | 'bridge';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class IpRoute2 {
  private readonly ns: string[];

  constructor(readonly netns?: string) {
    this.ns = netns ? ['-n', netns] : [];
  }

  /** Runs `tool args` (with `input` on stdin); a missing tool is an 'ip-failed' error. */
  exec(tool: Tool, args: string[], input?: string): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(tool, [...this.ns, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (err) => reject(new NetworkError('ip-failed', `${tool}: ${err.message}`, { cause: err })));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  /** Runs a command that must succeed. */
  async run(tool: Tool, args: string[]): Promise<string> {
    const result = await this.exec(tool, args);
    if (result.code !== 0) throw new NetworkError('ip-failed', `${tool} ${args.join(' ')}: ${firstLine(result.stderr) || `exit ${result.code}`}`);
    return result.stdout;
  }

  /** `tool -j args`, parsed; empty output is an empty list. */
  async json(tool: Tool, args: string[]): Promise<unknown> {
    const out = await this.run(tool, ['-j', ...args]);
    return out.trim() === '' ? [] : (JSON.parse(out) as unknown);
  }

  /**
   * Applies `lines` with `tool -force -batch -` (one process; a failing line does not stop the
   * others). Returns one message per failed line, `<line>: <kernel's answer>`.
   */
  async batch(tool: Tool, lines: string[]): Promise<string[]> {
    if (lines.length === 0) return [];
    const result = await this.exec(tool, ['-force', '-batch', '-'], `${lines.join('\n')}\n`);
    if (result.code === 0) return [];
    return batchFailures(lines, result.stderr, result.code);
  }
}

/**
 * Pairs iproute2's batch errors with their lines: each failure prints its message, then
 * "Command failed -:N" (N counted from 1).
 */
export function batchFailures(lines: string[], stderr: string, code = 1): string[] {
  const failures: string[] = [];
  let message: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const failed = /^Command failed -:(\d+)$/.exec(line);
    if (failed) {
      const text = message.join('; ').replace(/^Error: /, '') || 'failed';
      failures.push(`${lines[Number(failed[1]) - 1] ?? `line ${failed[1]}`}: ${text}`);
      message = [];
    } else if (line !== '') {
      message.push(line);
    }
  }
  if (failures.length === 0) failures.push(`batch of ${lines.length}: ${message.join('; ') || `exit ${code}`}`);
  return failures;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}
