/**
 * The CA keys leave a server only for another server joining its external datastore: a server
 * on its own SQLite file can never be joined, so it never hands them out, even for the right
 * token (every agent holds that token).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { cluster } = clusterPerFile();

function get(url: string, auth: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The CA is pinned by the token's hash in real joins; the status code is all this test reads.
    https.get(url, { auth, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

test('a server on its own SQLite file does not hand out the CA keys, even for the join token', async () => {
  const token = fs.readFileSync(path.join(cluster().dataDir, 'server', 'node-token'), 'utf8').trim();
  const credentials = token.split('::')[1]!;
  assert.equal(await get(`${cluster().url}/v1-tsk/config`, credentials), 200, 'the token itself is good');
  assert.equal(await get(`${cluster().url}/v1-tsk/server-bootstrap`, credentials), 404);
});
