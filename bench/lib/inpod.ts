/**
 * The host side of podclient.mjs: that script started inside a network namespace (the one of a
 * process, e.g. a pod's container: nsenter --net=/proc/PID/ns/net) or on the host, and fed one
 * JSON command at a time (see podclient.mjs for the commands and their replies).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLIENT_SCRIPT = fileURLToPath(new URL('./podclient.mjs', import.meta.url));

/** podclient.mjs in a network namespace (a process's), or on the host; one command at a time. */
export class PodClient {
  private readonly replies: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.replies.shift()?.(line));
  }

  static async start(netnsOfPid?: number): Promise<PodClient> {
    const child = netnsOfPid === undefined
      ? spawn(process.execPath, [CLIENT_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn('nsenter', [`--net=/proc/${netnsOfPid}/ns/net`, process.execPath, CLIENT_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    const client = new PodClient(child);
    await new Promise<string>((resolve, reject) => {
      client.replies.push(resolve);
      child.once('exit', (code) => reject(new Error(`the load client exited ${code}`)));
    });
    return client;
  }

  run<T>(command: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.replies.push((line) => {
        const reply = JSON.parse(line);
        if (typeof reply.error === 'string') reject(new Error(`${command.op}: ${reply.error}`));
        else resolve(reply as T);
      });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGKILL');
  }
}

export interface Load { seconds: number; ms: number[]; errors?: number; timeouts?: number; rcodes?: Record<string, number> }
