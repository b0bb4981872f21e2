import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAgentJoinToken } from './token.ts';

test('agent join tokens: full with a CA hash, short without, bare secret; mistyped ones refused', () => {
  const hash = 'a'.repeat(64);
  assert.deepEqual(parseAgentJoinToken(`K10${hash}::server:s3cret`), { caHash: hash, username: 'server', password: 's3cret' });
  assert.deepEqual(parseAgentJoinToken('K10::server:s3cret'), { caHash: undefined, username: 'server', password: 's3cret' });
  assert.deepEqual(parseAgentJoinToken('s3cret'), { caHash: undefined, username: 'node', password: 's3cret' });
  assert.equal(parseAgentJoinToken('K10abc::server:x'), undefined);
  assert.equal(parseAgentJoinToken('two words'), undefined);
  assert.equal(parseAgentJoinToken(''), undefined);
});
