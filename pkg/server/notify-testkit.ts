/**
 * For tests and benches: systemd's end of $NOTIFY_SOCKET, a unix datagram socket (Node has
 * none, so python3 holds it), printing each message with the sender's PID (SO_PASSCRED) and
 * closing the pipe a BARRIER=1 message carries, which is what systemd-notify waits for.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';

export const PYTHON = '/usr/bin/python3';

const RECEIVER = `
import array, json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data, ancillary, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid = None
    for level, kind, payload in ancillary:
        if kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        if kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"data": data.decode(), "pid": pid}), flush=True)
`;

export interface NotifyMessage {
  data: string;
  /** The sender's PID as the kernel reports it (what systemd attributes the message by). */
  pid: number | null;
  /** Date.now() when it arrived here. */
  at: number;
}

export interface NotifyReceiver {
  socket: string;
  /** The next message (waits for it). */
  next(): Promise<NotifyMessage>;
  stop(): void;
}

/** Why a receiver cannot run here, or false. */
export const notifyReceiverMissing: string | false = fs.existsSync(PYTHON) ? false : `needs ${PYTHON}`;

export async function startNotifyReceiver(socket: string): Promise<NotifyReceiver> {
  const child = spawn(PYTHON, ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const first = await lines.next();
  if (first.value !== 'listening') {
    stop();
    throw new Error(`the notify receiver did not start on ${socket}`);
  }
  return {
    socket,
    next: async () => {
      const line = await lines.next();
      if (line.done) throw new Error('the notify receiver ended');
      return { ...(JSON.parse(line.value as string) as { data: string; pid: number | null }), at: Date.now() };
    },
    stop,
  };
}
