/**
 * kubectl logs, exec, attach, port-forward and cp against the real dist/tsk server and its
 * embedded agent (managed containerd, runc, busybox image from the air-gap folder): the API
 * server proxies to the kubelet's HTTPS API, which bridges to containerd's streaming server.
 * Each stream runs with kubectl 1.33 (WebSocket exec, WebSocket-tunnelled port-forward) and
 * kubectl 1.29 (SPDY). Pods use the host network (no CNI here) and name their node directly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pty from 'node-pty';
import { runtimeMissing } from '../pkg/cri/testkit.ts';
import { freePort, kubectlBinary, startCluster, type TestCluster } from './lib/cluster.ts';
import { buildBusyboxImage } from './lib/images.ts';
import { until } from './lib/until.ts';

const IMAGE = 'tsk.local/busybox:streams';
const NS = 'default';
const LONG_LINE = 20_000; // beyond containerd's 16 KiB line buffer: written as P pieces then F
const MINORS = [33, 29];
const PROMPT = /\/ # /; // busybox sh's, as root in /

describe('kubectl streams through the API server and the kubelet', { skip: runtimeMissing, timeout: 600_000 }, () => {
  let cluster: TestCluster;
  let dataDir: string;
  let nodeName: string;
  let httpPort: number;
  const children = new Set<ReturnType<typeof spawn>>();

  const kubectl = (args: string[], opts: { minor?: number; input?: string } = {}) => cluster.kubectl(args, opts);
  const ok = async (args: string[], opts: { minor?: number; input?: string } = {}) => {
    const r = await kubectl(args, opts);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** A long-running kubectl, collecting stdout; ended by its PID. */
  const background = (args: string[], minor?: number) => {
    const child = spawn(kubectlBinary(minor), ['--kubeconfig', cluster.kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return { output: () => out, errors: () => err, stop: () => child.kill('SIGKILL') };
  };
  /**
   * kubectl under a pseudo-terminal (node-pty), as a user's terminal runs it: kubectl sees a
   * terminal on stdin, puts it in raw mode and sends its size, and again on each resize.
   */
  const terminal = (args: string[], minor: number, size: { cols: number; rows: number }) => {
    const term = pty.spawn(kubectlBinary(minor), ['--kubeconfig', cluster.kubeconfig, ...args], { ...size, env: process.env });
    let out = '';
    let seen = 0; // output before this offset was matched by an earlier expect
    let code: number | undefined;
    term.onData((d) => (out += d));
    term.onExit((e) => (code = e.exitCode));
    const shown = () => JSON.stringify(out.slice(seen).slice(-400));
    return {
      output: () => out,
      type: (text: string) => term.write(text),
      resize: (s: { cols: number; rows: number }) => term.resize(s.cols, s.rows),
      /** Waits for `re` in the output not matched yet, and consumes the output up to its end. */
      expect: (re: RegExp) => until(`${re} in the terminal`, async () => {
        const m = re.exec(out.slice(seen));
        if (m) seen += m.index + m[0].length;
        return m ?? undefined;
      }).catch((err: Error) => { throw new Error(`${err.message}; it shows ${shown()}`); }),
      exitCode: () => until('kubectl to exit', async () => code).catch((err: Error) => { throw new Error(`${err.message}; it shows ${shown()}`); }),
      kill: () => { if (code === undefined) term.kill('SIGKILL'); },
    };
  };
  const pod = (name: string, containers: object[], extra: object = {}) => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { nodeName, hostNetwork: true, terminationGracePeriodSeconds: 1, containers, ...extra },
  });
  const sh = (name: string, script: string, extra: object = {}) => ({ name, image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', script], ...extra });
  const running = (name: string) => until(`pod ${name} running`, async () => {
    const p = JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
    return p.status?.containerStatuses?.every((c: { state?: { running?: object } }) => c.state?.running) ? p : undefined;
  }, 120_000);

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-streams-'));
    buildBusyboxImage({ name: IMAGE, dir: path.join(dataDir, 'agent', 'images') });
    const kubeletPort = await freePort();
    httpPort = await freePort();
    cluster = await startCluster(['--kubelet-port', String(kubeletPort)], { agent: true, dataDir });
    nodeName = await until('the node', async () => (await ok(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim() || undefined, 120_000);
    await ok(['create', '-f', '-'], { input: pod('logs', [
      // containerd copies stdout and stderr to the log separately: the pause lets `two` land
      // before what follows, so `last` stays the last line.
      sh('main', `echo one; echo two >&2; sleep 1; head -c ${LONG_LINE} /dev/zero | tr '\\0' x; echo; echo last; exec sleep 3600`),
      sh('side', 'echo from side; exec sleep 3600'),
    ]) });
    await ok(['create', '-f', '-'], { input: pod('ticker', [sh('tick', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done')]) });
    await ok(['create', '-f', '-'], { input: pod('restarter', [
      sh('main', 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo instance $n; [ $n -ge 2 ] && exec sleep 3600; exit 1', { volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
    ], { volumes: [{ name: 'data', emptyDir: {} }] }) });
    await ok(['create', '-f', '-'], { input: pod('web', [
      sh('httpd', `mkdir -p /tmp/www && echo pong > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:${httpPort} -h /tmp/www`),
    ]) });
    for (const name of ['logs', 'ticker', 'web']) await running(name);
    await until('the logs pod to write its last line', async () => ((await ok(['logs', 'logs', '-c', 'main'])).endsWith('\nlast\n') ? true : undefined));
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (cluster) {
      // Containers outlive the agent: remove them before the server goes.
      await kubectl(['delete', 'pods', '--all', '--wait', '--timeout=60s'], {});
      cluster.server.signal('SIGTERM');
      await Promise.race([cluster.server.exited, new Promise((r) => setTimeout(r, 30_000))]);
      await cluster.stop();
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const minor of MINORS) {
    describe(`kubectl 1.${minor}`, () => {
      it('logs: stdout and stderr of the container, partial pieces joined into one line', async () => {
        const out = await ok(['logs', 'logs', '-c', 'main'], { minor });
        const lines = out.split('\n');
        assert.ok(lines.includes('one') && lines.includes('two'), out.slice(0, 200));
        assert.ok(lines.includes('x'.repeat(LONG_LINE)), 'the long line whole');
        assert.equal(lines.at(-2), 'last');
      });

      it('logs --tail, --timestamps, --limit-bytes, --since, --since-time, -c for the second container', async () => {
        assert.equal(await ok(['logs', 'logs', '-c', 'main', '--tail=1'], { minor }), 'last\n');
        const stamped = await ok(['logs', 'logs', '-c', 'main', '--timestamps'], { minor });
        assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) one$/m);
        assert.equal(await ok(['logs', 'logs', '-c', 'side'], { minor }), 'from side\n');
        assert.equal(await ok(['logs', 'logs', '-c', 'side', '--limit-bytes=4'], { minor }), 'from');
        assert.equal(await ok(['logs', 'logs', '-c', 'side', '--since=1h'], { minor }), 'from side\n');
        assert.equal(await ok(['logs', 'logs', '-c', 'side', `--since-time=${new Date(Date.now() + 3_600_000).toISOString()}`], { minor }), '');
      });

      it('logs of a pod with two containers and no -c name the choice', async () => {
        const r = await kubectl(['logs', 'logs'], { minor });
        // kubectl picks the first container (with a note) or the server names the choice.
        assert.ok(r.code === 0 ? r.stdout.includes('one') : /container name must be specified/.test(r.stderr), r.stderr);
      });

      it('logs -f keeps streaming what the container writes', async () => {
        const before = (await ok(['logs', 'ticker'], { minor })).trim().split('\n').at(-1)!;
        const next = Number(before.split(' ')[1]) + 3;
        const follower = background(['logs', '-f', 'ticker'], minor);
        try {
          await until(`tick ${next} through logs -f`, async () => (follower.output().includes(`tick ${next}\n`) ? true : undefined));
        } finally {
          follower.stop();
        }
      });

      it('logs --previous shows the instance before the restart', async () => {
        await until('restarter restarted and running', async () => {
          const p = JSON.parse(await ok(['get', 'pod', 'restarter', '-o', 'json']));
          const s = p.status?.containerStatuses?.[0];
          return s?.restartCount >= 1 && s.state?.running ? true : undefined;
        }, 120_000);
        assert.equal(await ok(['logs', 'restarter'], { minor }), 'instance 2\n');
        assert.equal(await ok(['logs', 'restarter', '--previous'], { minor }), 'instance 1\n');
      });

      it('exec: stdout, stdin, and the exit code', async () => {
        assert.equal(await ok(['exec', 'logs', '-c', 'main', '--', 'echo', 'hi'], { minor }), 'hi\n');
        assert.equal(await ok(['exec', '-i', 'logs', '-c', 'main', '--', 'cat'], { minor, input: 'through stdin\n' }), 'through stdin\n');
        const failed = await kubectl(['exec', 'logs', '-c', 'main', '--', 'sh', '-c', 'echo oops >&2; exit 3'], { minor });
        assert.equal(failed.code, 3, failed.stderr);
        assert.match(failed.stderr, /oops/);
      });

      it('exec -it: a real terminal: prompt and echo, the size set and resized by the terminal, Ctrl-D ends it with the exit code', async () => {
        const term = terminal(['exec', '-it', 'logs', '-c', 'main', '--', 'sh'], minor, { cols: 123, rows: 45 });
        try {
          // A prompt and the typed line echoed back come only from a shell on a terminal.
          await term.expect(PROMPT);
          term.type('echo typed-$((6*7))\r');
          await term.expect(/echo typed-\$\(\(6\*7\)\)\r\ntyped-42\r\n/);
          // The size reaches the container on its own channel, independent of typed input:
          // wait in the container for the size to change from the one given, then print it.
          term.type('w() { while [ "$(stty size)" = "$1" ]; do sleep 0.1; done; echo "size=$(stty size)"; }\r');
          term.type('w "0 0"\r');
          assert.equal((await term.expect(/size=(\d+ \d+)/))[1], '45 123');
          term.resize({ cols: 99, rows: 33 });
          term.type('w "45 123"\r');
          assert.equal((await term.expect(/size=(\d+ \d+)/))[1], '33 99');
          term.type('(exit 5)\r');
          await term.expect(PROMPT);
          term.type('\x04');
          assert.equal(await term.exitCode(), 5, term.output());
        } finally {
          term.kill();
        }
      });

      it('exec -it: exit N in the terminal is the exit code of kubectl', async () => {
        const term = terminal(['exec', '-it', 'logs', '-c', 'main', '--', 'sh'], minor, { cols: 80, rows: 24 });
        try {
          await term.expect(PROMPT);
          term.type('exit 7\r');
          assert.equal(await term.exitCode(), 7, term.output());
        } finally {
          term.kill();
        }
      });

      it('attach: the output of the running container', async () => {
        const attached = background(['attach', 'ticker'], minor);
        try {
          await until('ticks through attach', async () => (/tick \d+\n/.test(attached.output()) ? true : undefined));
        } finally {
          attached.stop();
        }
      });

      it('port-forward: HTTP to busybox httpd through the forwarded port', async () => {
        const local = await freePort();
        const forward = background(['port-forward', 'pod/web', `${local}:${httpPort}`], minor);
        try {
          await until('port-forward ready', async () => (forward.output().includes('Forwarding from') ? true : undefined));
          const body = await new Promise<string>((resolve, reject) => {
            http.get(`http://127.0.0.1:${local}/index.html`, (res) => {
              let data = '';
              res.on('data', (d: Buffer) => (data += d.toString()));
              res.on('end', () => resolve(data));
            }).on('error', reject);
          });
          assert.equal(body, 'pong\n');
        } finally {
          forward.stop();
        }
      });

      it('cp: a file out of the container and one into it', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cp-'));
        try {
          await ok(['cp', '-c', 'main', `${NS}/logs:/etc/passwd`, path.join(dir, 'passwd')], { minor });
          assert.match(fs.readFileSync(path.join(dir, 'passwd'), 'utf8'), /^root:x:0:0:/);
          fs.writeFileSync(path.join(dir, 'up.txt'), `uploaded by 1.${minor}\n`);
          await ok(['cp', '-c', 'main', path.join(dir, 'up.txt'), `${NS}/logs:/tmp/up-${minor}.txt`], { minor });
          assert.equal(await ok(['exec', 'logs', '-c', 'main', '--', 'cat', `/tmp/up-${minor}.txt`], { minor }), `uploaded by 1.${minor}\n`);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }

  it('nodes/proxy reaches the kubelet API: /healthz and /pods', async () => {
    assert.equal(await ok(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/healthz`]), 'ok');
    const pods = JSON.parse(await ok(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/pods`]));
    assert.equal(pods.kind, 'PodList');
    assert.ok(pods.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'ticker'));
  });

  it('errors read as the kubelet words them', async () => {
    const missing = await kubectl(['logs', 'logs', '-c', 'nope']);
    assert.match(missing.stderr, /container nope is not valid for pod logs/);
    const noPrevious = await kubectl(['logs', 'logs', '-c', 'side', '--previous']);
    assert.match(noPrevious.stderr, /previous terminated container "side" in pod "logs" not found/);
  });
});
