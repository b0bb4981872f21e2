/**
 * The real kubectl reads tsk's OpenAPI v3: a loopback HTTP server answers minimal legacy
 * discovery by hand and the OpenAPI routes from OpenApiService, then `kubectl explain` must
 * describe a field. This proves the wire format, not only our reading of it. kubectl 1.27 and
 * 1.28 explain from /openapi/v2 in protobuf, so that form is checked with kubectl 1.27.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { OpenApiSchemas } from './resolver.ts';
import { OpenApiService } from './service.ts';
import { SAMPLE_TABLE } from './test-fixtures.ts';

const run = promisify(execFile);
const service = new OpenApiService({ resources: () => SAMPLE_TABLE, schemas: new OpenApiSchemas(), serverVersion: 'v1.33.0' });
const requests: string[] = [];

function resourceList(groupVersion: string, resources: object[]): object {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

const DISCOVERY: Record<string, object> = {
  '/version': { major: '1', minor: '33', gitVersion: 'v1.33.0', platform: 'linux/amd64' },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
  },
  '/api/v1': resourceList('v1', [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
  ]),
  '/apis/apps/v1': resourceList('apps/v1', [
    { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'list', 'patch'], shortNames: ['deploy'] },
  ]),
};

let server: http.Server;
let baseUrl: string;
let cacheDir: string;

before(async () => {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-explain-'));
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    const send = async () => {
      if (url.pathname in DISCOVERY) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(DISCOVERY[url.pathname]));
        return;
      }
      const reply = url.pathname === '/openapi/v3'
        ? service.index({ accept: req.headers.accept })
        : url.pathname.startsWith('/openapi/v3/')
          ? await service.groupVersion(url.pathname.slice('/openapi/v3/'.length), { accept: req.headers.accept, hash: url.searchParams.get('hash') ?? undefined })
          : url.pathname === '/openapi/v2'
            ? await service.v2({ accept: req.headers.accept })
            : { status: 404 as const, headers: {} };
      res.writeHead(reply.status, reply.headers).end(reply.body);
    };
    send().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  return kubectlBinary('kubectl', ...args);
}

async function kubectlBinary(binary: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(binary, ['--server', baseUrl, '--cache-dir', cacheDir, ...args], {
    env: { ...process.env, KUBECONFIG: path.join(cacheDir, 'none') },
  });
  return stdout;
}

test('kubectl explain describes a field from the v3 document', async () => {
  const out = await kubectl('explain', 'deployment.spec.replicas');
  assert.match(out, /GROUP:\s+apps/);
  assert.match(out, /KIND:\s+Deployment/);
  assert.match(out, /VERSION:\s+v1/);
  assert.match(out, /FIELD: replicas <integer>/);
  assert.match(out, /Number of desired pods/);
  assert.ok(requests.some((p) => p === '/openapi/v3/apis/apps/v1'), 'kubectl fetched the apps/v1 document');
});

test('kubectl explain lists the fields of a nested type reached through a $ref', async () => {
  const out = await kubectl('explain', 'pods.spec.containers.ports');
  assert.match(out, /KIND:\s+Pod/);
  assert.match(out, /containerPort\s+<integer> -required-/);
  assert.match(out, /protocol\s+<string>/);
});

test('kubectl 1.27 explains from the v2 protobuf document', async () => {
  const binary = path.join(path.dirname(fs.realpathSync(await which('kubectl'))), 'kubectl.1.27');
  const out = await kubectlBinary(binary, 'explain', 'deployment.spec.replicas');
  assert.match(out, /KIND:\s+Deployment/);
  assert.match(out, /FIELD: replicas <integer>/);
  assert.match(out, /Number of desired pods/);
  assert.ok(requests.includes('/openapi/v2'), 'kubectl 1.27 read /openapi/v2');
  const nested = await kubectlBinary(binary, 'explain', 'pods.spec.containers.ports');
  assert.match(nested, /containerPort\s+<integer> -required-/);
});

async function which(command: string): Promise<string> {
  const { stdout } = await run('sh', ['-c', `command -v ${command}`]);
  return stdout.trim();
}
