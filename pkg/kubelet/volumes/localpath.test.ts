import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { LocalPathCleaner } from './localpath.ts';

function volume(folder: string, node = 'n1', phase = 'Released'): KObject {
  return {
    metadata: { name: 'pvc-1', uid: 'u1', annotations: { 'pv.kubernetes.io/provisioned-by': 'tsk.io/local-path' } },
    spec: {
      persistentVolumeReclaimPolicy: 'Delete',
      hostPath: { path: folder, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    },
    status: { phase },
  };
}

describe('LocalPathCleaner', () => {
  it("removes a Released volume's folder on its node, then deletes the volume; leaves others alone", async () => {
    const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-localpath-'));
    const deleted: unknown[] = [];
    const client = { delete: async (p: string, opts: unknown) => (deleted.push([p, opts]), {}) } as unknown as Client;
    const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never;
    const cleaner = new LocalPathCleaner({ client, nodeName: 'n1', storageDir, log: silent });
    try {
      const folder = path.join(storageDir, 'pvc-1_ns_data');
      fs.mkdirSync(folder);
      fs.writeFileSync(path.join(folder, 'file'), 'x');
      await cleaner.consider(volume(folder, 'n1', 'Bound'));
      await cleaner.consider(volume(folder, 'n2'));
      assert.ok(fs.existsSync(folder), 'a Bound volume, or one of another node, keeps its folder');
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'pvc-outside-'));
      await cleaner.consider(volume(outside));
      assert.ok(fs.existsSync(outside), 'a folder outside the storage dir is never removed');
      fs.rmSync(outside, { recursive: true });
      assert.deepEqual(deleted, []);
      await cleaner.consider(volume(folder));
      assert.equal(fs.existsSync(folder), false);
      assert.deepEqual(deleted, [['/api/v1/persistentvolumes/pvc-1', { preconditions: { uid: 'u1' } }]]);
    } finally {
      cleaner.stop();
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
  });
});
