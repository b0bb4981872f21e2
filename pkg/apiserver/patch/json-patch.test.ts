import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Json } from '../../api/types.ts';
import { applyJsonPatch, JsonPatchError, parsePointer, type JsonPatchOperation } from './json-patch.ts';

type Ops = JsonPatchOperation[];

// RFC 6902 appendix A (A.1–A.16).
test('RFC 6902 appendix A: successful operations', () => {
  const ok: [Json, Ops, Json][] = [
    [{ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    [{ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    [{ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    [{ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    [{ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [{ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
    [
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    [{ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    [{ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    [{ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    [{ foo: 'bar' }, [{ op: 'copy', from: '/foo', path: '/baz' }], { foo: 'bar', baz: 'bar' }],
    [{ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
  ];
  for (const [doc, ops, expected] of ok) assert.deepEqual(applyJsonPatch(doc, ops), expected, JSON.stringify(ops));
});

test('RFC 6902 appendix A: failing operations', () => {
  const failing: [Json, Ops][] = [
    [{ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    [{ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
    [{ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]],
    [{ foo: ['bar'] }, [{ op: 'add', path: '/foo/2', value: 'x' }]],
    [{ foo: ['bar'] }, [{ op: 'remove', path: '/foo/01' }]],
    [{ foo: 'bar' }, [{ op: 'remove', path: '/nope' }]],
    [{ foo: 'bar' }, [{ op: 'replace', path: '/nope', value: 1 }]],
    [{ foo: 'bar' }, [{ op: 'bogus' as 'add', path: '/foo' }]],
    [{ foo: 'bar' }, [{ op: 'add', path: '/x' }]],
  ];
  for (const [doc, ops] of failing) assert.throws(() => applyJsonPatch(doc, ops), JsonPatchError, JSON.stringify(ops));
});

test('a failed operation leaves the input untouched', () => {
  const doc = { a: [1, 2] };
  assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/a/0' }, { op: 'test', path: '/a/0', value: 9 }]));
  assert.deepEqual(doc, { a: [1, 2] });
});

test('pointers unescape ~1 before ~0', () => {
  assert.deepEqual(parsePointer('/a~1b/m~0n/~01'), ['a/b', 'm~n', '~1']);
  assert.deepEqual(parsePointer(''), []);
  assert.throws(() => parsePointer('a'), JsonPatchError);
});
