/**
 * End to end: real kubectl 1.33 against a tiny HTTP server on 127.0.0.1 that fakes just enough
 * discovery and serves Tables from these printers, so the text kubectl prints is checked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { KObject, TablePrinter } from '../types.ts';
import { buildTable, builtinPrinters, customResourcePrinter, type IncludeObject } from './index.ts';
import { ago, now } from './testing.ts';

const run = promisify(execFile);

function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const onPath = join(dir, 'kubectl');
    if (!existsSync(onPath)) continue;
    // The kubectl on PATH may be a dispatcher; the versioned binary sits beside its target.
    const pinned = join(dirname(realpathSync(onPath)), 'kubectl.1.33');
    return existsSync(pinned) ? pinned : onPath;
  }
  return undefined;
}

const kubectl = findKubectl();

const pods: KObject[] = [
  {
    metadata: { name: 'web-7d4b9c8f5-x2x7q', namespace: 'default', creationTimestamp: ago(2 * 86400 + 3 * 3600) },
    spec: { nodeName: 'pi-1', containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.42.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: { running: {} } }],
    },
  },
  {
    metadata: { name: 'worker-0', namespace: 'default', creationTimestamp: ago(3 * 86400) },
    spec: { nodeName: 'pi-2', containers: [{ name: 'worker', image: 'busybox' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.42.1.9' }],
      containerStatuses: [
        {
          name: 'worker',
          ready: false,
          restartCount: 12,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(50 * 3600) } },
        },
      ],
    },
  },
  {
    metadata: { name: 'migrate-q8k2z', namespace: 'default', creationTimestamp: ago(45 * 60) },
    spec: { containers: [{ name: 'migrate', image: 'migrate' }] },
    status: { phase: 'Succeeded', containerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
  },
];

const services: KObject[] = [
  {
    metadata: { name: 'kubernetes', namespace: 'default', creationTimestamp: ago(40 * 86400), labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] },
  },
  {
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(2 * 86400) },
    spec: {
      type: 'LoadBalancer',
      clusterIPs: ['10.43.88.12'],
      selector: { app: 'web' },
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 443, nodePort: 30443, protocol: 'TCP' },
      ],
    },
    status: { loadBalancer: {} },
  },
];

const crontabs: KObject[] = [
  {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'nightly', namespace: 'default', creationTimestamp: ago(5 * 86400) },
    spec: { cronSpec: '0 3 * * *', replicas: 2 },
    status: { conditions: [{ type: 'Ready', status: 'True' }], lastRun: ago(9 * 3600) },
  },
  {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'new', namespace: 'default', creationTimestamp: ago(30) },
    spec: { cronSpec: '*/1 * * * *' },
  },
];

const crontabPrinter = customResourcePrinter([
  { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
  { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Last Run', type: 'date', jsonPath: '.status.lastRun' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
]);

const resources: Record<string, { kind: string; printer: TablePrinter; items: KObject[] }> = {
  pods: { kind: 'Pod', printer: builtinPrinters.get('/Pod')!, items: pods },
  services: { kind: 'Service', printer: builtinPrinters.get('/Service')!, items: services },
};

function send(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/version') return send(res, 200, { major: '1', minor: '33', gitVersion: 'v1.33.1' });
  if (url.pathname === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
  if (url.pathname === '/apis') {
    const version = { groupVersion: 'stable.example.com/v1', version: 'v1' };
    const group = { name: 'stable.example.com', versions: [version], preferredVersion: version };
    return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] });
  }
  if (url.pathname === '/apis/stable.example.com/v1') {
    const crontab = { name: 'crontabs', singularName: 'crontab', namespaced: true, kind: 'CronTab', verbs: ['get', 'list'] };
    return send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'stable.example.com/v1', resources: [crontab] });
  }
  if (url.pathname === '/apis/stable.example.com/v1/namespaces/default/crontabs') {
    return send(res, 200, buildTable(crontabPrinter, crontabs, { now }));
  }
  if (url.pathname === '/api/v1') {
    const list = Object.entries(resources).map(([name, r]) => ({
      name,
      singularName: r.kind.toLowerCase(),
      namespaced: true,
      kind: r.kind,
      verbs: ['get', 'list'],
    }));
    return send(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: list });
  }
  const match = /^\/api\/v1\/(?:namespaces\/default\/)?([a-z]+)$/.exec(url.pathname);
  const resource = match ? resources[match[1]] : undefined;
  if (!resource || !(req.headers.accept ?? '').includes('as=Table')) {
    return send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  }
  const table = buildTable(resource.printer, resource.items, {
    now,
    includeObject: (url.searchParams.get('includeObject') as IncludeObject | null) ?? 'Metadata',
  });
  table.metadata.resourceVersion = '7';
  send(res, 200, table);
}

let server: http.Server;
let workdir: string;

before(async () => {
  server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  workdir = mkdtempSync(join(tmpdir(), 'tsk-printers-'));
  writeFileSync(
    join(workdir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: fake, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: fake, user: {}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: default}}]',
      'current-context: fake',
    ].join('\n'),
  );
});

after(() => {
  server?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

async function kubectlGet(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectl!, ['--kubeconfig', join(workdir, 'kubeconfig'), '--cache-dir', join(workdir, 'cache'), 'get', ...args]);
  return stdout;
}

test('kubectl get pods prints the server-side table', { skip: !kubectl && 'kubectl not installed' }, async () => {
  assert.equal(
    await kubectlGet('pods'),
    [
      'NAME                  READY   STATUS             RESTARTS        AGE',
      'web-7d4b9c8f5-x2x7q   1/1     Running            0               2d3h',
      'worker-0              0/1     CrashLoopBackOff   12 (2d2h ago)   3d',
      'migrate-q8k2z         0/1     Completed          0               45m',
      '',
    ].join('\n'),
  );
});

test('kubectl get pods -o wide adds the priority-1 columns', { skip: !kubectl && 'kubectl not installed' }, async () => {
  assert.equal(
    await kubectlGet('pods', '-o', 'wide'),
    [
      'NAME                  READY   STATUS             RESTARTS        AGE    IP          NODE     NOMINATED NODE   READINESS GATES',
      'web-7d4b9c8f5-x2x7q   1/1     Running            0               2d3h   10.42.0.5   pi-1     <none>           <none>',
      'worker-0              0/1     CrashLoopBackOff   12 (2d2h ago)   3d     10.42.1.9   pi-2     <none>           <none>',
      'migrate-q8k2z         0/1     Completed          0               45m    <none>      <none>   <none>           <none>',
      '',
    ].join('\n'),
  );
});

test('kubectl get services', { skip: !kubectl && 'kubectl not installed' }, async () => {
  assert.equal(
    await kubectlGet('services', '-o', 'wide'),
    [
      'NAME         TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)                      AGE   SELECTOR',
      'kubernetes   ClusterIP      10.43.0.1     <none>        443/TCP                      40d   <none>',
      'web          LoadBalancer   10.43.88.12   <pending>     80:30080/TCP,443:30443/TCP   2d    app=web',
      '',
    ].join('\n'),
  );
});

test('kubectl get -A --show-labels reads namespace and labels from the rows\' metadata', { skip: !kubectl && 'kubectl not installed' }, async () => {
  assert.equal(
    await kubectlGet('services', '-A', '--show-labels'),
    [
      'NAMESPACE   NAME         TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)                      AGE   LABELS',
      'default     kubernetes   ClusterIP      10.43.0.1     <none>        443/TCP                      40d   component=apiserver,provider=kubernetes',
      'default     web          LoadBalancer   10.43.88.12   <pending>     80:30080/TCP,443:30443/TCP   2d    <none>',
      '',
    ].join('\n'),
  );
});

test('kubectl get of a custom resource prints its printer columns, blank where a value is missing', { skip: !kubectl && 'kubectl not installed' }, async () => {
  assert.equal(
    await kubectlGet('crontabs'),
    [
      'NAME      SPEC          REPLICAS   READY   LAST RUN   AGE',
      'nightly   0 3 * * *     2          True    9h         5d',
      'new       */1 * * * *                                 30s',
      '',
    ].join('\n'),
  );
});
