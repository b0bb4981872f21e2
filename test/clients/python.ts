/**
 * Runs python_client.py with Debian's /usr/bin/python3 (the python3 first on PATH may be another
 * interpreter without python3-kubernetes) and parses its JSON lines.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python_client.py');

export interface PythonLine {
  op: string;
  [field: string]: any;
}

/** Runs the script to the end (it must exit 0); `onLine` sees each line as it arrives. */
export async function runPython(kubeconfig: string, args: string[], onLine: (line: PythonLine) => void = () => {}): Promise<PythonLine[]> {
  const child = spawn('/usr/bin/python3', [SCRIPT, kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const lines: PythonLine[] = [];
  for await (const text of createInterface(child.stdout)) {
    const line = JSON.parse(text) as PythonLine;
    lines.push(line);
    onLine(line);
  }
  assert.equal(await exited, 0, `python client failed:\n${stderr}\n${JSON.stringify(lines, null, 1)}`);
  return lines;
}

/** The script's lines by operation, leaving out watch events (there are many of those). */
export const byOperation = (lines: PythonLine[]) => Object.fromEntries(lines.filter((l) => l.op !== 'event').map((l) => [l.op, l]));
