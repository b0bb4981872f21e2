import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { openSqliteBackend } from '../kv/sqlite/backend.ts';
import { listSnapshots } from './files.ts';
import { parseSnapshotCron, startServerSnapshots } from './schedule.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-schedule-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Lets real I/O (the save) run while setTimeout and Date are mocked. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

describe('scheduled snapshots', () => {
  it('saves on the cron schedule and keeps the newest --etcd-snapshot-retention', async () => {
    const b = await openSqliteBackend({ file: path.join(root, 'state.db') });
    await b.txn({ success: [{ type: 'put', key: '/registry/x', value: Buffer.from('v') }] });
    const dir = path.join(root, 'snapshots');
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: new Date(2026, 11, 3, 10, 0, 30).getTime() });
    try {
      const s = await startServerSnapshots(b, { dbDir: root, dir, name: 'etcd-snapshot', node: 'n1', compress: false, cron: '*/5 * * * *', retention: 2, disableSchedule: false });
      mock.timers.tick(4 * 60_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(listSnapshots(dir).length, 0, 'nothing before 10:05');
      const stamps: string[] = [];
      for (let k = 1; k <= 3; k++) {
        mock.timers.tick(k === 1 ? 30_000 : 5 * 60_000);
        await until(() => listSnapshots(dir).some((f) => !stamps.includes(f.name)));
        stamps.push(...listSnapshots(dir).map((f) => f.name).filter((n) => !stamps.includes(n)));
      }
      const minutes = (name: string) => new Date(Number(/-(\d+)$/.exec(name)![1]) * 1000).getMinutes();
      assert.deepEqual(stamps.map(minutes), [5, 10, 15]);
      await until(() => listSnapshots(dir).length === 2);
      assert.deepEqual(listSnapshots(dir).map((f) => f.name), stamps.slice(1));
      await s.stop();
    } finally {
      mock.timers.reset();
      await b.close();
    }
  });

  it('refuses a schedule that does not parse or never runs', () => {
    assert.throws(() => parseSnapshotCron('0 */12 * *'), /--etcd-snapshot-schedule-cron "0 \*\/12 \* \*": expected exactly 5 fields/);
    assert.throws(() => parseSnapshotCron('0 0 30 2 *'), /never matches/);
  });
});
