/**
 * Contract: close(). Watches end with 'closed'; later calls fail with 'closed'; closing
 * twice is harmless. Runs on a backend of its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Recorder, rejectsWith, type Harness } from './harness.ts';

export function closeContract(h: Harness): void {
  describe('close', () => {
    it("ends open watches with 'closed', then refuses calls with 'closed'", async () => {
      const b = await h.open();
      const rec = new Recorder(h.waitLimitMs);
      b.watch(h.key('close/k'), {}, rec.handler);
      await b.close();
      const error = await rec.waitForError();
      assert.equal(error.code, 'closed');
      assert.equal(rec.batches.length, 1, 'one final batch');
      await rejectsWith(b.range(h.key('close/k')), 'closed', 'range after close');
      await rejectsWith(b.txn({ success: [{ type: 'put', key: h.key('close/k'), value: Buffer.from('x') }] }), 'closed', 'txn after close');
      const late = new Recorder(h.waitLimitMs);
      b.watch(h.key('close/k'), {}, late.handler);
      assert.equal((await late.waitForError()).code, 'closed', 'a watch opened after close ends at once');
      await b.close();
    });
  });
}
