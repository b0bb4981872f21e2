/**
 * Readiness for systemd (the units install.sh writes are Type=notify). The protocol is one
 * datagram "READY=1" on the AF_UNIX socket named by $NOTIFY_SOCKET; Node has no unix datagram
 * sockets, so the message goes through systemd-notify, which ships with systemd wherever it
 * runs. Run by root, systemd-notify sends in the name of its parent (tsk) and then waits until
 * systemd has read the message (a barrier), so the short-lived sender cannot lose it; the unit
 * still says NotifyAccess=all for a tsk that is not root.
 *
 * The socket is taken out of the environment as soon as a command starts: the managed
 * containerd sends READY=1 and STOPPING=1 itself when it finds NOTIFY_SOCKET, which would
 * tell systemd that tsk is ready before it is, or stopping whenever containerd restarts.
 * Under OpenRC (supervise-daemon) or by hand there is no socket and nothing is sent.
 */
import { execFile } from 'node:child_process';
import { type Logger, logger } from '../log/log.ts';

export interface Notifier {
  /** Where the message goes; undefined when not started by systemd. */
  readonly socket: string | undefined;
  /** Tells systemd the service is up (once; later calls do nothing). Never throws. */
  ready(): Promise<void>;
}

export interface NotifierOptions {
  /** Default process.env; NOTIFY_SOCKET is deleted from it. */
  env?: NodeJS.ProcessEnv;
  /** Default systemd-notify, looked up on PATH. */
  command?: string;
  log?: Logger;
}

export function takeNotifySocket(options: NotifierOptions = {}): Notifier {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET || undefined;
  delete env.NOTIFY_SOCKET;
  const log = options.log ?? logger('notify');
  let sent: Promise<void> | undefined;
  const send = () => new Promise<void>((resolve) => {
    const command = options.command ?? 'systemd-notify';
    // Beyond the barrier's own 5 s wait: something is badly wrong, and tsk must go on serving.
    execFile(command, ['--ready'], { env: { ...env, NOTIFY_SOCKET: socket }, timeout: 15_000 }, (err, _stdout, stderr) => {
      if (err) {
        const why = (stderr.trim() || err.message).split('\n')[0];
        log.warn(`could not tell systemd that tsk is ready (${command} --ready: ${why}); the unit stays "activating"`);
      } else {
        log.info('told systemd that tsk is ready');
      }
      resolve();
    });
  });
  return {
    socket,
    ready: () => {
      if (socket === undefined) return Promise.resolve();
      sent ??= send();
      return sent;
    },
  };
}
