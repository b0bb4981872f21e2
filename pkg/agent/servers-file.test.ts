import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { agentFiles, readServers, writeServers } from './files.ts';

test('the learned API servers survive a restart in DATA_DIR/agent/servers.json (0600); junk reads as none', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-agent-servers-'));
  try {
    const files = agentFiles(dir);
    assert.deepEqual(readServers(files), []);
    writeServers(files, ['https://10.0.0.1:6443', 'https://10.0.0.2:6443']);
    assert.deepEqual(readServers(files), ['https://10.0.0.1:6443', 'https://10.0.0.2:6443']);
    assert.equal(fs.statSync(files.servers).mode & 0o777, 0o600);
    fs.writeFileSync(files.servers, '["http://plain:80", 7, "https://10.0.0.3:6443"]');
    assert.deepEqual(readServers(files), ['https://10.0.0.3:6443']);
    fs.writeFileSync(files.servers, '{not json');
    assert.deepEqual(readServers(files), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
