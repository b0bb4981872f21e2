/**
 * Bodies captured live from the real kubectl 1.33: a tiny HTTP server answers the discovery
 * kubectl needs and records what it POSTs. Each protobuf body must decode to the object kubectl
 * prints for the same command with --dry-run=client -o json, and re-encode to the same bytes.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { KObject } from '../types.ts';
import { PROTOBUF_CONTENT_TYPE, decodeProtobufObject, encodeProtobufObject } from './index.ts';

const run = promisify(execFile);

function findKubectl(): string | undefined {
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    const pinned = path.join(path.dirname(realpathSync(onPath)), 'kubectl.1.33');
    return existsSync(pinned) ? pinned : undefined;
  } catch {
    return undefined;
  }
}

interface Recorded {
  method: string;
  url: string;
  contentType?: string;
  accept?: string;
  body: Buffer;
}

const RESOURCES: Record<string, [string, string, boolean][]> = {
  v1: [['namespaces', 'Namespace', false], ['configmaps', 'ConfigMap', true], ['secrets', 'Secret', true], ['services', 'Service', true], ['serviceaccounts', 'ServiceAccount', true], ['pods', 'Pod', true], ['resourcequotas', 'ResourceQuota', true]],
  'apps/v1': [['deployments', 'Deployment', true]],
  'batch/v1': [['jobs', 'Job', true], ['cronjobs', 'CronJob', true]],
  'authorization.k8s.io/v1': [['selfsubjectaccessreviews', 'SelfSubjectAccessReview', false]],
  'authentication.k8s.io/v1': [['tokenreviews', 'TokenReview', false]],
};

function resourceList(groupVersion: string) {
  const resources = RESOURCES[groupVersion]!.map(([name, kind, namespaced]) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['create', 'get', 'list', 'delete'] }));
  if (groupVersion === 'v1') resources.push({ name: 'serviceaccounts/token', singularName: '', namespaced: true, kind: 'TokenRequest', verbs: ['create'] });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** Answers discovery, echoes created objects as JSON (filling what kubectl reads back). */
function fakeApiServer(recorded: Recorded[]): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      recorded.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], accept: req.headers.accept, body });
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (url.pathname === '/api/v1') return send(200, resourceList('v1'));
      if (url.pathname === '/apis') {
        const groups = Object.keys(RESOURCES).filter((gv) => gv.includes('/'));
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: 'v1' }], preferredVersion: { groupVersion: gv, version: 'v1' } })) });
      }
      const gv = url.pathname.replace(/^\/apis\//, '');
      if (RESOURCES[gv]) return send(200, resourceList(gv));
      if (req.method === 'POST') {
        const obj = req.headers['content-type'] === PROTOBUF_CONTENT_TYPE ? decodeProtobufObject(body) : (JSON.parse(body.toString()) as KObject);
        if (obj.kind === 'TokenRequest') obj.status = { token: 'the-token', expirationTimestamp: '2030-01-01T00:00:00Z' };
        if (obj.kind === 'SelfSubjectAccessReview') obj.status = { allowed: true };
        return send(201, obj);
      }
      send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    });
  });
}

const kubectl = findKubectl();

describe('protobuf bodies from kubectl 1.33', { skip: kubectl ? false : 'kubectl.1.33 is not installed' }, () => {
  const recorded: Recorded[] = [];
  const server = fakeApiServer(recorded);
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'tsk-kubectl-cache-'));
  let flags: string[] = [];

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    flags = ['--server', `http://127.0.0.1:${port}`, '--cache-dir', cacheDir];
  });
  after(() => {
    server.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  /** Runs kubectl and returns the one body it POSTed. */
  async function captured(args: string[]): Promise<Recorded> {
    const before = recorded.length;
    await run(kubectl!, [...flags, ...args], { env: { ...process.env, KUBECONFIG: '/dev/null' } });
    const posts = recorded.slice(before).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1, `one POST for kubectl ${args.join(' ')}`);
    return posts[0]!;
  }

  function decodeChecked(request: Recorded): KObject {
    assert.equal(request.contentType, PROTOBUF_CONTENT_TYPE);
    // kubectl takes JSON answers too, which is what tsk sends it.
    assert.equal(request.accept, 'application/vnd.kubernetes.protobuf,application/json');
    const obj = decodeProtobufObject(request.body);
    assert.ok(encodeProtobufObject(obj).equals(request.body), 're-encoding gives kubectl’s bytes');
    return obj;
  }

  const creates: string[][] = [
    ['create', 'namespace', 'x'],
    ['create', 'configmap', 'c', '--from-literal=a=b'],
    ['create', 'secret', 'generic', 's', '--from-literal=k=v'],
    ['create', 'deployment', 'd', '--image=busybox', '--replicas=2', '--port=80'],
    ['create', 'service', 'clusterip', 's', '--tcp=80:8080'],
    ['create', 'service', 'nodeport', 'np', '--tcp=80:http', '--node-port=30080'],
    ['create', 'job', 'j', '--image=busybox', '--', 'sh', '-c', 'true'],
    ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
    ['create', 'quota', 'q', '--hard=cpu=1,memory=1G,pods=2', '--scopes=BestEffort'],
    ['create', 'serviceaccount', 'sa'],
    ['create', 'role', 'r', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=a'],
    ['create', 'rolebinding', 'rb', '--role=r', '--user=u', '--serviceaccount=default:sa'],
    ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/logs/*'],
    ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=g'],
    ['create', 'priorityclass', 'pc', '--value=1000', '--description=d', '--preemption-policy=Never'],
    ['create', 'poddisruptionbudget', 'pdb', '--selector=app=a', '--min-available=50%'],
    ['create', 'ingress', 'ing', '--class=default', '--rule=foo.com/bar*=svc1:8080,tls=my-cert'],
  ];

  for (const args of creates) {
    it(`kubectl ${args.join(' ')}`, async () => {
      const request = await captured(args);
      // Flags go before `--`, after which kubectl passes everything to the container command.
      const dash = args.includes('--') ? args.indexOf('--') : args.length;
      const dryRun = [...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash)];
      const { stdout } = await run(kubectl!, [...flags, ...dryRun], { env: { ...process.env, KUBECONFIG: '/dev/null' } });
      assert.deepEqual(decodeChecked(request), JSON.parse(stdout));
    });
  }

  it('kubectl create token default', async () => {
    const request = await captured(['create', 'token', 'default', '--duration=10m', '--audience=a']);
    assert.match(request.url, /^\/api\/v1\/namespaces\/default\/serviceaccounts\/default\/token/);
    assert.deepEqual(decodeChecked(request), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { creationTimestamp: null },
      spec: { audiences: ['a'], expirationSeconds: 600 },
      status: { token: '', expirationTimestamp: null },
    });
  });

  it('kubectl auth can-i get pods', async () => {
    const request = await captured(['auth', 'can-i', 'get', 'pods']);
    assert.deepEqual(decodeChecked(request), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
      status: { allowed: false },
    });
  });
});
