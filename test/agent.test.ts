/**
 * The agent end to end on one node (issue 5, "How it is checked"): the real `dist/tsk server`
 * with its embedded agent on real containerd, runc and CNI, driven by real kubectl. Each test
 * checks what a user would: HTTP on the pod IP from the host, restarts, files and variables
 * inside the container, cgroup limits, deletes, failures and their events, and containers
 * that survive a server restart. Until `kubectl logs`/`exec` reach the kubelet, containers
 * report what they see in files on a hostPath volume in this test's temp dir.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import { freePort, type KubectlOptions } from './lib/cluster.ts';
import { buildBusyboxImage } from './lib/images.ts';
import { until } from './lib/until.ts';

let c: AgentCluster;
let outDir: string;
before(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-agent-out-'));
  c = await startAgentCluster();
});
after(async () => {
  await c?.stop();
  fs.rmSync(outDir, { recursive: true, force: true });
});

interface Pod {
  metadata: { name: string; uid: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}
interface ContainerState {
  running?: object;
  waiting?: { reason: string; message?: string };
  terminated?: { exitCode: number; reason: string };
}
interface ContainerStatus {
  name: string;
  restartCount: number;
  containerID?: string;
  state: ContainerState;
  lastState?: ContainerState;
}

async function ok(args: string[], opts: KubectlOptions = {}): Promise<string> {
  const r = await c.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A pod of one busybox container running `script`, with this test's out dir mounted at /out. */
function shellPod(name: string, script: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { test: name } },
    spec: {
      terminationGracePeriodSeconds: 5,
      ...extra,
      containers: [{ name: 'main', image: BUSYBOX_IMAGE, command: ['sh', '-c', script], volumeMounts: [{ name: 'out', mountPath: '/out' }], ...container }],
      volumes: [{ name: 'out', hostPath: { path: outDir, type: 'Directory' } }, ...(((extra as { volumes?: unknown[] }).volumes) ?? [])],
    },
  };
}

const create = (obj: object) => ok(['apply', '-f', '-'], { input: JSON.stringify(obj) });
const getPod = async (name: string): Promise<Pod> => JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
const untilPod = (name: string, what: string, pred: (p: Pod) => boolean, ms?: number) =>
  until(`pod ${name}: ${what}`, async () => {
    const p = await getPod(name);
    return pred(p) ? p : undefined;
  }, ms);
const running = (p: Pod) => p.status.phase === 'Running' && (p.status.containerStatuses ?? []).every((s) => s.state.running);
const ready = (p: Pod) => p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
const outFile = (name: string) => until(`${name} in the out dir`, async () => {
  const file = path.join(outDir, name);
  return fs.existsSync(file) && fs.statSync(file).size > 0 ? fs.readFileSync(file, 'utf8') : undefined;
});
async function eventReasons(name: string): Promise<{ reason: string; message: string }[]> {
  const list = JSON.parse(await ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json']));
  return list.items.map((e: { reason: string; message: string }) => ({ reason: e.reason, message: e.message }));
}
const untilEvent = (name: string, reason: string, message = /./, ms?: number) =>
  until(`event ${reason} ${message} for ${name}`, async () => (await eventReasons(name)).find((e) => e.reason === reason && message.test(e.message)), ms);

/** The CRI containers (sandboxes included) of pods whose name starts with `prefix`. */
function criContainers(prefix: string): string[] {
  return c.ctr(['containers', 'ls', '-q', `labels."io.kubernetes.pod.name"~="^${prefix}"`]).split('\n').filter(Boolean);
}

describe('agent end to end on one node', () => {
  it('runs a pod serving HTTP that becomes Ready and answers on its pod IP from the host', async () => {
    await create(shellPod('web', 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www', {}, {
      readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
    }));
    const pod = await untilPod('web', 'Ready', ready);
    assert.ok(pod.status.podIP, 'the pod has an IP');
    assert.match(pod.status.containerStatuses?.[0]?.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    const res = await fetch(`http://${pod.status.podIP}:8080/index.html`);
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), 'hello-from-pod');
  });

  it('publishes a hostPort on the node (CNI portmap)', async () => {
    const hostPort = await freePort();
    await create(shellPod('hostport', 'mkdir -p /www && echo via-host-port > /www/index.html && exec httpd -f -p 8081 -h /www', {}, {
      ports: [{ containerPort: 8081, hostPort }],
      readinessProbe: { tcpSocket: { port: 8081 }, periodSeconds: 1 },
    }));
    await untilPod('hostport', 'Ready', ready);
    // The node's address is 127.0.0.1 here: portmap also DNATs the host's own connections.
    const res = await fetch(`http://127.0.0.1:${hostPort}/index.html`);
    assert.equal((await res.text()).trim(), 'via-host-port');
    await ok(['delete', 'pod', 'hostport', '--wait=true']);
    await assert.rejects(fetch(`http://127.0.0.1:${hostPort}/index.html`, { signal: AbortSignal.timeout(5000) }), 'the port is unpublished with the pod');
  });

  it('restarts a container whose liveness probe fails, with events', async () => {
    await create(shellPod('live', 'exec sleep 3600', {}, {
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
    }));
    const p = await untilPod('live', 'restartCount > 0', (p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) > 0, 90_000);
    assert.ok(p.status.containerStatuses?.[0]?.lastState?.terminated, 'the killed container is its lastState');
    await untilEvent('live', 'Unhealthy', /^Liveness probe failed/);
    await untilEvent('live', 'Killing', /failed liveness probe/);
  });

  it('runs init containers in order before the main container', async () => {
    const step = (n: string) => ({ name: `init-${n}`, image: BUSYBOX_IMAGE, command: ['sh', '-c', `echo ${n} >> /work/order`], volumeMounts: [{ name: 'work', mountPath: '/work' }] });
    const pod = shellPod('init', 'cp /work/order /out/init-order && exec sleep 3600', {
      initContainers: [step('one'), step('two')],
      volumes: [{ name: 'work', emptyDir: {} }],
    }, { volumeMounts: [{ name: 'out', mountPath: '/out' }, { name: 'work', mountPath: '/work' }] });
    await create(pod);
    assert.equal(await outFile('init-order'), 'one\ntwo\n');
    const p = await untilPod('init', 'Running', running);
    assert.deepEqual(p.status.initContainerStatuses?.map((s) => [s.name, s.state.terminated?.reason]), [['init-one', 'Completed'], ['init-two', 'Completed']]);
  });

  it('shows configMaps, secrets, env, the downward API and the service account token inside the container', async () => {
    await ok(['create', 'configmap', 'settings', '--from-literal=greeting=hello']);
    await ok(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
    const script = [
      'echo "PLAIN=$PLAIN"', 'echo "CM_ENV=$CM_ENV"', 'echo "SECRET_ENV=$SECRET_ENV"', 'echo "POD_NAME=$POD_NAME"',
      'echo "NODE=$NODE"', 'echo "MEM_MI=$MEM_MI"',
      'echo "CM_FILE=$(cat /cm/greeting)"', 'echo "SECRET_FILE=$(cat /secret/password)"',
      'echo "LABELS=$(cat /downward/labels)"', 'echo "SA_NS=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)"',
      'echo "SA_CA=$(grep -c "BEGIN CERTIFICATE" /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)"',
    ].join('; ');
    const pod = shellPod('seen', `(${script}) > /out/seen.tmp && cp /var/run/secrets/kubernetes.io/serviceaccount/token /out/token && mv /out/seen.tmp /out/seen && exec sleep 3600`, {
      volumes: [
        { name: 'cm', configMap: { name: 'settings' } },
        { name: 'secret', secret: { secretName: 'creds' } },
        { name: 'downward', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      ],
    }, {
      env: [
        { name: 'PLAIN', value: 'plain-value' },
        { name: 'CM_ENV', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
        { name: 'SECRET_ENV', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      ],
      resources: { limits: { memory: '48Mi' } },
      volumeMounts: [
        { name: 'out', mountPath: '/out' }, { name: 'cm', mountPath: '/cm' },
        { name: 'secret', mountPath: '/secret' }, { name: 'downward', mountPath: '/downward' },
      ],
    });
    await create(pod);
    const seen = Object.fromEntries((await outFile('seen')).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.deepEqual(seen, {
      PLAIN: 'plain-value', CM_ENV: 'hello', SECRET_ENV: 's3cret', POD_NAME: 'seen', NODE: c.nodeName,
      MEM_MI: '48', CM_FILE: 'hello', SECRET_FILE: 's3cret', LABELS: 'test="seen"', SA_NS: 'default', SA_CA: '1',
    });
    // The projected token is one the API server accepts, for the pod's service account.
    const token = fs.readFileSync(path.join(outDir, 'token'), 'utf8').trim();
    const uid = (await getPod('seen')).metadata.uid;
    const who = await ok(['--server', c.url, '--insecure-skip-tls-verify', '--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: '/dev/null' });
    assert.equal(who, 'system:serviceaccount:default:default');
    // Deleting the pod tears its volumes down: no tmpfs (secret, token) stays mounted.
    await ok(['delete', 'pod', 'seen', '--grace-period=1', '--wait=true']);
    const mounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(uid));
    await until('the pod\'s volumes unmounted', async () => (mounts().length === 0 ? true : undefined));
  });

  it('gives the container its pod IP and host IP through fieldRef env', async () => {
    await create(shellPod('addresses', 'echo "$POD_IP $HOST_IP" > /out/addresses.tmp && mv /out/addresses.tmp /out/addresses; exec sleep 3600', {}, {
      env: [
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      ],
    }));
    const seen = (await outFile('addresses')).trim();
    const p = await untilPod('addresses', 'Running', running);
    assert.equal(seen, `${p.status.podIP} 127.0.0.1`);
  });

  it('puts the memory limit in the container cgroup', async () => {
    // cgroup v1 (this host) or v2.
    const read = '{ cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; }';
    await create(shellPod('limited', `${read} > /out/mem.tmp && mv /out/mem.tmp /out/mem; exec sleep 3600`, {}, { resources: { limits: { memory: '64Mi', cpu: '250m' } } }));
    assert.equal((await outFile('mem')).trim(), String(64 * 1024 * 1024));
  });

  it('applies runAsUser, readOnlyRootFilesystem, workingDir and a memory-backed emptyDir', async () => {
    const script = 'echo "$(id -u):$(id -g) $(pwd) $(touch /rootfs-write 2>/dev/null && echo writable || echo read-only) $(grep " /scratch " /proc/mounts | cut -d" " -f3)" > /out/secctx.tmp && mv /out/secctx.tmp /out/secctx; exec sleep 3600';
    await create(shellPod('secctx', script, { volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory' } }] }, {
      workingDir: '/tmp',
      securityContext: { runAsUser: 65534, runAsGroup: 65534, readOnlyRootFilesystem: true },
      volumeMounts: [{ name: 'out', mountPath: '/out' }, { name: 'scratch', mountPath: '/scratch' }],
    }));
    // The hostPath out dir must be writable by nobody for this one.
    fs.chmodSync(outDir, 0o777);
    assert.equal((await outFile('secctx')).trim(), '65534:65534 /tmp read-only tmpfs');
  });

  it('reports a container killed by its memory limit as OOMKilled', async () => {
    await create(shellPod('oom', 'dd if=/dev/zero of=/dev/null bs=64M count=1', { restartPolicy: 'Never' }, { resources: { limits: { memory: '16Mi' } } }));
    const p = await untilPod('oom', 'phase Failed', (p) => p.status.phase === 'Failed');
    assert.equal(p.status.containerStatuses?.[0]?.state.terminated?.reason, 'OOMKilled');
    assert.equal(p.status.containerStatuses?.[0]?.state.terminated?.exitCode, 137);
  });

  it('sends TERM on delete and the pod goes away within its grace period', async () => {
    await create(shellPod('graceful', "trap 'echo got-TERM > /out/term; exit 0' TERM; echo started > /out/graceful-started; while true; do sleep 1; done", { terminationGracePeriodSeconds: 60 }));
    await outFile('graceful-started');
    await ok(['delete', 'pod', 'graceful', '--wait=true'], { timeoutMs: 55_000 });
    assert.equal((await outFile('term')).trim(), 'got-TERM');
  });

  it('runs a preStop hook before stopping the container', async () => {
    await create(shellPod('prestop', "trap 'exit 0' TERM; echo started > /out/prestop-started; while true; do sleep 1; done", {}, {
      lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop-ran > /out/prestop'] } } },
    }));
    await outFile('prestop-started');
    await ok(['delete', 'pod', 'prestop', '--wait=true']);
    assert.equal((await outFile('prestop')).trim(), 'prestop-ran');
  });

  it('fails a Never pod whose command fails and restarts an OnFailure one', async () => {
    await create(shellPod('never', 'exit 3', { restartPolicy: 'Never' }));
    await create(shellPod('onfailure', 'exit 1', { restartPolicy: 'OnFailure' }));
    const never = await untilPod('never', 'phase Failed', (p) => p.status.phase === 'Failed');
    assert.equal(never.status.containerStatuses?.[0]?.state.terminated?.exitCode, 3);
    assert.equal((await ok(['get', 'pod', 'never', '--no-headers'])).trim().split(/\s+/)[2], 'Error');
    await untilPod('onfailure', 'restartCount > 0', (p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) > 0);
  });

  it('completes a Job', async () => {
    await ok(['create', 'job', 'once', `--image=${BUSYBOX_IMAGE}`, '--', 'sh', '-c', 'echo done']);
    await ok(['wait', '--for=condition=complete', 'job/once', '--timeout=60s'], { timeoutMs: 70_000 });
    const job = JSON.parse(await ok(['get', 'job', 'once', '-o', 'json']));
    assert.equal(job.status.succeeded, 1);
  });

  it('reports missing images with events and keeps the agent running', async () => {
    const image = (name: string, img: string, policy: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: img, imagePullPolicy: policy }] } });
    await create(image('never-pull', 'tsk.local/missing:1', 'Never'));
    // No registry on this machine: a refused port fails the pull at once.
    await create(image('pull-fail', '127.0.0.1:1/missing:2', 'Always'));
    await untilPod('never-pull', 'ErrImageNeverPull', (p) => p.status.containerStatuses?.[0]?.state.waiting?.reason === 'ErrImageNeverPull');
    await untilEvent('never-pull', 'ErrImageNeverPull');
    await untilPod('pull-fail', 'ImagePullBackOff', (p) => p.status.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff', 90_000);
    await untilEvent('pull-fail', 'Failed', /^Failed to pull image "127\.0\.0\.1:1\/missing:2"/);
    await untilEvent('pull-fail', 'Failed', /^Error: ErrImagePull/);
    await untilEvent('pull-fail', 'BackOff', /^Back-off pulling image/);
    // The agent is still there: a new pod runs.
    await create(shellPod('after-missing', 'exec sleep 3600'));
    await untilPod('after-missing', 'Running', running);
  });

  it('starts a pod waiting for a missing image once its tarball is added to the images folder', async () => {
    const image = 'tsk.local/late:1';
    await create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image, command: ['sleep', '3600'] }] } });
    await untilPod('late', 'ErrImagePull or ImagePullBackOff', (p) => /ErrImagePull|ImagePullBackOff/.test(p.status.containerStatuses?.[0]?.state.waiting?.reason ?? ''));
    buildBusyboxImage({ name: image, dir: path.join(c.dataDir, 'agent', 'images') });
    // The back-off is at most 5 minutes; the first retries come within seconds.
    await untilPod('late', 'Running', running, 120_000);
  });

  it('runs a Deployment of 3 replicas and removes their containers when scaled to 0', async () => {
    await ok(['create', 'deployment', 'trio', `--image=${BUSYBOX_IMAGE}`, '--replicas=3', '--', 'sleep', '3600']);
    await until('3 trio pods Running', async () => {
      const pods = JSON.parse(await ok(['get', 'pods', '-l', 'app=trio', '-o', 'json'])).items as Pod[];
      return pods.length === 3 && pods.every(running) ? pods : undefined;
    });
    // A sandbox and a container per pod.
    assert.equal(criContainers('trio-').length, 6);
    await ok(['scale', 'deployment', 'trio', '--replicas=0']);
    await until('no trio containers in the runtime', async () => (criContainers('trio-').length === 0 ? true : undefined));
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`adopts running containers after the server ends by ${signal} and starts again`, async (t) => {
      const name = `survivor-${signal.toLowerCase()}`;
      const oneshot = `oneshot-${signal.toLowerCase()}`;
      await create(shellPod(name, `echo started >> /out/${name}; exec sleep 3600`));
      await create(shellPod(oneshot, `echo ran >> /out/${oneshot}`, { restartPolicy: 'Never' }));
      await untilPod(oneshot, 'Succeeded', (p) => p.status.phase === 'Succeeded');
      const before = await untilPod(name, 'Running', running);
      const runtimeBefore = c.runtimeProcesses();
      await c.stopServer(signal);
      const runtimeAfter = c.runtimeProcesses();
      // The shims are containerd's children in their own right: containers outlive the server however it ends.
      for (const pid of runtimeBefore.shims) assert.ok(runtimeAfter.shims.includes(pid), `shim ${pid} survived ${signal}`);
      t.diagnostic(`containerd ${runtimeBefore.containerd.join(',')} after ${signal} of the server: ${runtimeAfter.containerd.length ? 'still running' : 'gone'}`);
      await c.startServer();
      // A pod made after the restart runs: the kubelet's sync loop has gone round.
      const probe = `after-${signal.toLowerCase()}`;
      await create(shellPod(probe, 'exec sleep 3600'));
      await untilPod(probe, 'Running', running);
      const after = await untilPod(name, 'Running', running);
      assert.equal(after.status.containerStatuses?.[0]?.containerID, before.status.containerStatuses?.[0]?.containerID);
      assert.equal(after.status.containerStatuses?.[0]?.restartCount, 0);
      assert.equal(fs.readFileSync(path.join(outDir, name), 'utf8'), 'started\n', 'the container ran once');
      assert.equal(criContainers(name).length, 2, 'one sandbox and one container');
      // A finished Never pod is not run again by the new kubelet.
      assert.equal((await getPod(oneshot)).status.phase, 'Succeeded');
      assert.equal(fs.readFileSync(path.join(outDir, oneshot), 'utf8'), 'ran\n');
    });
  }
});
