import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import type { ContainerSpec, VolumeSpec } from './downward.ts';
import { REFRESH_MS, VolumeManager, VolumeSetUpError } from './manager.ts';
import { SystemMounter, type Mounter } from './mounter.ts';
import type { ObjectReader } from './objects.ts';
import type { TokenRequestSpec, TokenSource } from './tokens.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Records tmpfs mounts without mounting: the layout and modes are what these tests check. */
class RecordingMounter implements Mounter {
  mounted = new Map<string, { sizeBytes?: number; mode?: number }>();
  async mountTmpfs(dir: string, opts: { sizeBytes?: number; mode?: number }) {
    this.mounted.set(path.resolve(dir), opts);
  }
  async unmount(dir: string) {
    this.mounted.delete(dir);
  }
  mountPointsUnder(dir: string) {
    return [...this.mounted.keys()].filter((p) => p === path.resolve(dir) || p.startsWith(`${path.resolve(dir)}/`));
  }
}

class FakeTokens implements TokenSource {
  requests: { namespace: string; sa: string; spec: TokenRequestSpec }[] = [];
  async requestToken(namespace: string, sa: string, spec: TokenRequestSpec) {
    this.requests.push({ namespace, sa, spec });
    return { token: `token-${this.requests.length}`, expirationSeconds: spec.expirationSeconds };
  }
}

function pod(volumes: VolumeSpec[], containers: ContainerSpec[] = [], uid = 'uid-1'): KObject {
  return {
    metadata: { name: 'web', namespace: 'shop', uid, labels: { app: 'web' } },
    spec: { nodeName: 'n1', serviceAccountName: 'builder', volumes, containers: containers.length ? containers : [{ name: 'app', volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/mnt/${v.name}` })) }] },
  };
}

describe('VolumeManager', () => {
  let dataDir: string;
  let objects: Record<string, KObject>;
  let clock: number;
  let events: string[];
  let mounter: RecordingMounter;
  let tokens: FakeTokens;
  let manager: VolumeManager;

  const reader: ObjectReader = {
    configMap: async (ns, name) => objects[`cm/${ns}/${name}`],
    secret: async (ns, name) => objects[`secret/${ns}/${name}`],
    persistentVolumeClaim: async (ns, name) => objects[`pvc/${ns}/${name}`],
    persistentVolume: async (name) => objects[`pv/${name}`],
  };

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-volumes-'));
    objects = {};
    clock = 1_000_000;
    events = [];
    mounter = new RecordingMounter();
    tokens = new FakeTokens();
    manager = new VolumeManager({
      dataDir, objects: reader, tokens, mounter, now: () => clock,
      allocatable: () => ({ cpu: '2', memory: '1Gi' }),
      recorder: { event: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
    });
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const volDir = (plugin: string, name: string, uid = 'uid-1') => path.join(dataDir, 'agent', 'pods', uid, 'volumes', `kubernetes.io~${plugin}`, name);
  const read = (p: string) => fs.readFileSync(p, 'utf8');
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  it('makes emptyDir a world-writable directory, and a tmpfs sized by sizeLimit for medium Memory', async () => {
    const mounts = await manager.setUp(pod([{ name: 'scratch', emptyDir: {} }, { name: 'fast', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }, { name: 'ram', emptyDir: { medium: 'Memory' } }]));
    assert.equal(mode(volDir('empty-dir', 'scratch')), 0o777);
    assert.deepEqual(mounter.mounted.get(volDir('empty-dir', 'fast')), { sizeBytes: 64 * 1024 * 1024, mode: 0o777 });
    assert.deepEqual(mounter.mounted.get(volDir('empty-dir', 'ram')), { sizeBytes: 1024 * 1024 * 1024, mode: 0o777 }, 'no sizeLimit: node allocatable memory');
    assert.ok(!mounter.mounted.has(volDir('empty-dir', 'scratch')));
    assert.deepEqual(mounts.get('app')!.map((m) => [m.containerPath, m.hostPath, m.readonly]), [
      ['/mnt/scratch', volDir('empty-dir', 'scratch'), false],
      ['/mnt/fast', volDir('empty-dir', 'fast'), false],
      ['/mnt/ram', volDir('empty-dir', 'ram'), false],
    ]);
  });

  it('writes configMap items with modes, read-only, and shows updates after the refresh period', async () => {
    objects['cm/shop/settings'] = { metadata: { name: 'settings' }, data: { color: 'blue', size: 'L' }, binaryData: { logo: b64('PNG') } };
    const p = pod([{ name: 'conf', configMap: { name: 'settings', defaultMode: 0o640, items: [{ key: 'color', path: 'ui/color.txt', mode: 0o600 }, { key: 'logo', path: 'logo.png' }] } }]);
    const mounts = await manager.setUp(p);
    const dir = volDir('configmap', 'conf');
    assert.equal(read(path.join(dir, 'ui/color.txt')), 'blue');
    assert.equal(mode(path.join(dir, 'ui/color.txt')), 0o600);
    assert.equal(read(path.join(dir, 'logo.png')), 'PNG');
    assert.equal(mode(path.join(dir, 'logo.png')), 0o640);
    assert.ok(!fs.existsSync(path.join(dir, 'size')), 'items select keys');
    assert.equal(mounts.get('app')![0]!.readonly, true);
    assert.ok(!mounter.mounted.has(dir), 'configMaps are not secret: no tmpfs');

    objects['cm/shop/settings'] = { metadata: { name: 'settings' }, data: { color: 'red' }, binaryData: { logo: b64('PNG') } };
    await manager.setUp(p);
    assert.equal(read(path.join(dir, 'ui/color.txt')), 'blue', 'not re-read before the refresh period');
    clock += REFRESH_MS;
    await manager.setUp(p);
    assert.equal(read(path.join(dir, 'ui/color.txt')), 'red');

    delete objects['cm/shop/settings'];
    clock += REFRESH_MS;
    await manager.setUp(p);
    assert.equal(read(path.join(dir, 'ui/color.txt')), 'red', 'a running pod keeps its files when the configMap goes');
    assert.deepEqual(events, ['Warning FailedMount MountVolume.SetUp failed for volume "conf" : configmap "settings" not found']);
  });

  it('puts secrets on a tmpfs with decoded data and defaultMode', async () => {
    objects['secret/shop/creds'] = { metadata: { name: 'creds' }, data: { user: b64('ann'), pass: b64('pw') } };
    await manager.setUp(pod([{ name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } }]));
    const dir = volDir('secret', 'creds');
    assert.ok(mounter.mounted.has(dir));
    assert.equal(read(path.join(dir, 'pass')), 'pw');
    assert.equal(mode(path.join(dir, 'user')), 0o400);
  });

  it('fails a missing required source with a FailedMount event, and mounts an optional one empty', async () => {
    const p = pod([{ name: 'conf', configMap: { name: 'absent' } }]);
    await assert.rejects(manager.setUp(p), (err: Error) => err instanceof VolumeSetUpError && err.message === 'MountVolume.SetUp failed for volume "conf" : configmap "absent" not found');
    assert.deepEqual(events, ['Warning FailedMount MountVolume.SetUp failed for volume "conf" : configmap "absent" not found']);
    objects['cm/shop/absent'] = { metadata: { name: 'absent' }, data: {} };
    await assert.rejects(manager.setUp(pod([{ name: 'conf', configMap: { name: 'absent', items: [{ key: 'k', path: 'k' }] } }])), /non-existent config key: k/);
    await manager.setUp(pod([{ name: 'opt', secret: { secretName: 'nothing', optional: true } }]));
    assert.deepEqual(fs.readdirSync(volDir('secret', 'opt')).filter((n) => !n.startsWith('..')), []);
  });

  it('writes downwardAPI fields and resources', async () => {
    const containers = [{ name: 'app', resources: { limits: { memory: '128Mi' } }, volumeMounts: [{ name: 'info', mountPath: '/info' }] }];
    await manager.setUp(pod([{ name: 'info', downwardAPI: { items: [
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
    ] } }], containers));
    const dir = volDir('downward-api', 'info');
    assert.deepEqual([read(path.join(dir, 'name')), read(path.join(dir, 'labels')), read(path.join(dir, 'mem'))], ['web', 'app="web"', '128']);
  });

  it('fills the kube-api-access projected volume and refreshes the token at 80 % of its life', async () => {
    objects['cm/shop/kube-root-ca.crt'] = { metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': 'CA PEM' } };
    const p = pod([{ name: 'kube-api-access-abcde', projected: { defaultMode: 0o644, sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ] } }, { name: 'vault', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault-token' } }] } }]);
    await manager.setUp(p);
    const dir = volDir('projected', 'kube-api-access-abcde');
    assert.ok(mounter.mounted.has(dir));
    assert.deepEqual([read(path.join(dir, 'token')), read(path.join(dir, 'ca.crt')), read(path.join(dir, 'namespace'))], ['token-1', 'CA PEM', 'shop']);
    assert.deepEqual(tokens.requests.map((r) => [r.namespace, r.sa, r.spec.audiences, r.spec.expirationSeconds, r.spec.boundObjectRef]), [
      ['shop', 'builder', [], 3607, { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-1' }],
      ['shop', 'builder', ['vault'], 600, { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-1' }],
    ]);
    clock += 480_000 + REFRESH_MS; // past 80 % of the vault token's 600 s, not of the other's 3607 s
    await manager.setUp(p);
    assert.equal(tokens.requests.length, 3);
    assert.deepEqual(tokens.requests[2]!.spec.audiences, ['vault']);
    assert.equal(read(path.join(volDir('projected', 'vault'), 'vault-token')), 'token-3');
    assert.equal(read(path.join(dir, 'token')), 'token-1');
  });

  it('checks hostPath types, creating the *OrCreate ones', async () => {
    const base = path.join(dataDir, 'host');
    fs.mkdirSync(base);
    const sock = path.join(base, 's.sock');
    const server = net.createServer().listen(sock);
    try {
      await manager.setUp(pod([
        { name: 'd', hostPath: { path: path.join(base, 'made/dir'), type: 'DirectoryOrCreate' } },
        { name: 'f', hostPath: { path: path.join(base, 'made.txt'), type: 'FileOrCreate' } },
        { name: 's', hostPath: { path: sock, type: 'Socket' } },
        { name: 'any', hostPath: { path: path.join(base, 'missing') } },
      ]));
      assert.ok(fs.statSync(path.join(base, 'made/dir')).isDirectory());
      assert.ok(fs.statSync(path.join(base, 'made.txt')).isFile());
      await assert.rejects(manager.setUp(pod([{ name: 'x', hostPath: { path: path.join(base, 'made.txt'), type: 'Directory' } }], [], 'uid-2')), /hostPath type check failed: .*made\.txt is not a directory/);
      await assert.rejects(manager.setUp(pod([{ name: 'x', hostPath: { path: path.join(base, 'made/dir'), type: 'File' } }], [], 'uid-3')), /is not a file/);
    } finally {
      server.close();
    }
  });

  it('waits for an unbound claim and mounts a bound hostPath or local volume', async () => {
    const claimDir = path.join(dataDir, 'pv1');
    fs.mkdirSync(claimDir);
    objects['pvc/shop/data'] = { metadata: { name: 'data' }, spec: {}, status: { phase: 'Pending' } };
    const p = pod([{ name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } }]);
    await assert.rejects(manager.setUp(p), /PVC shop\/data has non-bound phase \("Pending"\)/);
    assert.match(events[0]!, /^Warning FailedMount /);
    objects['pvc/shop/data'] = { metadata: { name: 'data' }, spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } };
    objects['pv/pv1'] = { metadata: { name: 'pv1' }, spec: { local: { path: claimDir } } };
    const mounts = await manager.setUp(p);
    assert.deepEqual(mounts.get('app'), [{ containerPath: '/mnt/data', hostPath: claimDir, readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' }]);
  });

  it('resolves subPath inside the volume, honours readOnly and propagation, refuses escapes', async () => {
    const host = path.join(dataDir, 'host');
    fs.mkdirSync(host);
    fs.symlinkSync('/etc', path.join(host, 'evil'));
    const containers = [{ name: 'app', volumeMounts: [
      { name: 'scratch', mountPath: '/data', subPath: 'app/data' },
      { name: 'h', mountPath: '/h', readOnly: true, mountPropagation: 'HostToContainer' },
    ] }, { name: 'bad', volumeMounts: [{ name: 'h', mountPath: '/x', subPath: 'evil' }] }];
    const p = pod([{ name: 'scratch', emptyDir: {} }, { name: 'h', hostPath: { path: host } }], containers);
    await assert.rejects(manager.setUp(p), /subPath "evil" of volume "h" leads outside the volume/);
    const ok = pod([{ name: 'scratch', emptyDir: {} }, { name: 'h', hostPath: { path: host } }], [containers[0]!]);
    const mounts = (await manager.setUp(ok)).get('app')!;
    assert.equal(mounts[0]!.hostPath, path.join(volDir('empty-dir', 'scratch'), 'app/data'));
    assert.ok(fs.statSync(mounts[0]!.hostPath).isDirectory(), 'a missing subPath is created');
    assert.deepEqual([mounts[1]!.readonly, mounts[1]!.propagation], [true, 'PROPAGATION_HOST_TO_CONTAINER']);
  });

  it('tears a pod down: unmounts and removes its directory', async () => {
    objects['secret/shop/creds'] = { metadata: { name: 'creds' }, data: { a: b64('1') } };
    await manager.setUp(pod([{ name: 'creds', secret: { secretName: 'creds' } }]));
    assert.deepEqual(manager.podUidsOnDisk(), ['uid-1']);
    await manager.tearDown('uid-1');
    assert.equal(mounter.mounted.size, 0);
    assert.ok(!fs.existsSync(path.join(dataDir, 'agent', 'pods', 'uid-1')));
    await manager.tearDown('uid-1');
  });

  it('mounts real tmpfs filesystems when root, and unmounts them on tearDown', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const real = new VolumeManager({ dataDir, objects: reader, tokens, allocatable: () => ({ memory: '1Gi' }), mounter: new SystemMounter() });
    objects['secret/shop/creds'] = { metadata: { name: 'creds' }, data: { a: b64('1') } };
    const p = pod([{ name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } }, { name: 'creds', secret: { secretName: 'creds' } }], [], 'uid-real');
    try {
      await real.setUp(p);
      const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      for (const dir of [volDir('empty-dir', 'ram', 'uid-real'), volDir('secret', 'creds', 'uid-real')]) {
        assert.match(mountinfo, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .* - tmpfs `), `${dir} is a tmpfs`);
      }
      assert.equal(fs.statfsSync(volDir('empty-dir', 'ram', 'uid-real')).blocks * fs.statfsSync(volDir('empty-dir', 'ram', 'uid-real')).bsize, 4 * 1024 * 1024);
      assert.equal(read(path.join(volDir('secret', 'creds', 'uid-real'), 'a')), '1');
    } finally {
      await real.tearDown('uid-real');
    }
    assert.doesNotMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), /uid-real/);
    assert.ok(!fs.existsSync(path.join(dataDir, 'agent', 'pods', 'uid-real')));
  });
});
