/**
 * Termination messages, as the kubelet gives them: each container instance gets an empty file
 * (DATA_DIR/agent/pods/<uid>/containers/<name>/<restartCount>) mounted at its
 * terminationMessagePath; when it exits, what it wrote there (up to 4 KiB) becomes its
 * terminated state's message. With terminationMessagePolicy FallbackToLogsOnError, a failed
 * container that wrote nothing gets the tail of its log instead (80 lines, up to 2 KiB).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { Mount } from '../runtime.ts';
import { containerLogPath } from './container.ts';
import type { ContainerSpec } from './labels.ts';
import { allContainers, podLogDirectory } from './sandbox.ts';
import type { PodRuntimeState } from './state.ts';

const MAX_MESSAGE_BYTES = 4096;
const MAX_LOG_TAIL_BYTES = 2048;
const LOG_TAIL_LINES = 80;
const DEFAULT_PATH = '/dev/termination-log';

function messageFile(dataDir: string, uid: string, name: string, restartCount: number): string {
  return path.join(dataDir, 'agent', 'pods', uid, 'containers', name, String(restartCount));
}

/** Creates the instance's message file (writable by any user the container runs as) and answers its mount. */
export async function terminationMessageMount(dataDir: string, pod: KObject, container: ContainerSpec, restartCount: number): Promise<Mount | undefined> {
  const containerPath = (container.terminationMessagePath as string | undefined) ?? DEFAULT_PATH;
  if (!containerPath) return undefined;
  const file = messageFile(dataDir, pod.metadata.uid!, container.name, restartCount);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '');
  await fs.chmod(file, 0o666);
  return { containerPath, hostPath: file, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' };
}

async function readHead(file: string, max: number): Promise<string> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The last lines of a CRI-format log (`<time> <stream> <P|F> <text>`), partial lines joined. */
async function logTail(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const lines: string[] = [];
  let partial = '';
  for (const raw of text.split('\n')) {
    const match = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(raw);
    if (!match) continue;
    partial += match[2];
    if (match[1] === 'F') {
      lines.push(partial);
      partial = '';
    }
  }
  if (lines.length === 0) return '';
  const tail = `${lines.slice(-LOG_TAIL_LINES).join('\n')}\n`;
  const bytes = Buffer.from(tail);
  return bytes.length > MAX_LOG_TAIL_BYTES ? bytes.subarray(bytes.length - MAX_LOG_TAIL_BYTES).toString('utf8') : tail;
}

/** Reads exited containers' messages into `state` (once per instance: the files do not change after exit). */
export class TerminationMessages {
  private readonly read = new Map<string, Map<string, string>>();

  constructor(private readonly dataDir: string) {}

  async fill(pod: KObject, state: PodRuntimeState): Promise<void> {
    const uid = pod.metadata.uid!;
    let known = this.read.get(uid);
    if (!known) this.read.set(uid, (known = new Map()));
    const specs = new Map(allContainers(pod).map((c) => [c.name, c]));
    for (const c of state.containers) {
      const spec = specs.get(c.name);
      if (c.state !== 'CONTAINER_EXITED' || c.message || !spec) continue;
      let message = known.get(c.id);
      if (message === undefined) {
        message = await readHead(messageFile(this.dataDir, uid, c.name, c.restartCount), MAX_MESSAGE_BYTES);
        if (!message && c.exitCode !== 0 && spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
          message = await logTail(path.join(podLogDirectory(this.dataDir, pod.metadata), containerLogPath(c.name, c.restartCount)));
        }
        known.set(c.id, message);
      }
      c.message = message;
    }
  }

  forget(uid: string): void {
    this.read.delete(uid);
  }
}
