/**
 * An upgrade's view of the default RBAC policy: a cluster created by an older tsk holds the
 * bootstrap roles as that release wrote them. At every start the server adds what this
 * release's roles grant and the stored ones lack (as kube-apiserver does), except where an
 * administrator set rbac.authorization.kubernetes.io/autoupdate=false.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { startCluster, type TestCluster } from './lib/cluster.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-rbac-upgrade-'));
let cluster: TestCluster | undefined;
after(async () => {
  await cluster?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function role(name: string): Promise<{ metadata: { annotations?: Record<string, string> }; rules: unknown[] }> {
  const got = await cluster!.kubectl(['get', 'clusterrole', name, '-o', 'json']);
  assert.equal(got.code, 0, got.stderr);
  return JSON.parse(got.stdout);
}

/** Stores the role with its last rule dropped, as an older release would have written it. */
async function dropLastRule(name: string, annotations: Record<string, string> = {}): Promise<unknown> {
  const stored = await role(name);
  const dropped = stored.rules.pop();
  stored.metadata.annotations = { ...stored.metadata.annotations, ...annotations };
  const replaced = await cluster!.kubectl(['replace', '-f', '-'], { input: JSON.stringify(stored) });
  assert.equal(replaced.code, 0, replaced.stderr);
  return dropped;
}

test('a restart gives stale bootstrap roles their missing rules, and leaves opted-out ones alone', async () => {
  cluster = await startCluster([], { dataDir });
  const missing = await dropLastRule('system:node-proxier');
  const optedOutRules = (await role('system:kube-dns')).rules.length - 1;
  await dropLastRule('system:kube-dns', { 'rbac.authorization.kubernetes.io/autoupdate': 'false' });
  assert.ok(!(await role('system:node-proxier')).rules.some((r) => isDeepStrictEqual(r, missing)));
  await cluster.stop();

  cluster = await startCluster([], { dataDir });
  const healed = await role('system:node-proxier');
  assert.ok(healed.rules.some((r) => isDeepStrictEqual(r, missing)), 'the dropped rule is back');
  assert.equal((await role('system:kube-dns')).rules.length, optedOutRules, 'autoupdate=false is respected');
});
