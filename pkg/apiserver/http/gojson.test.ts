import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goJsonSyntaxError, goQuoteChar, summarizeBody } from './gojson.ts';

const err = (text: string | Uint8Array) => goJsonSyntaxError(typeof text === 'string' ? Buffer.from(text) : text);

test('valid JSON passes', () => {
  for (const ok of ['{}', '[]', ' {"a":[1,-2.5e+3,true,false,null,"x\\u00e9\\n"]} ', '0', '"s"', '[[],{}]']) assert.equal(err(ok), undefined, ok);
});

test('encoding/json wording of syntax errors', () => {
  assert.equal(err(''), 'unexpected end of JSON input');
  assert.equal(err('{"a":1'), 'unexpected end of JSON input');
  assert.equal(err('{bad'), "invalid character 'b' looking for beginning of object key string");
  assert.equal(err('x'), "invalid character 'x' looking for beginning of value");
  assert.equal(err('{"a" 1}'), "invalid character '1' after object key");
  assert.equal(err('{"a":1 "b":2}'), `invalid character '"' after object key:value pair`);
  assert.equal(err('[1 2]'), "invalid character '2' after array element");
  assert.equal(err('{} x'), "invalid character 'x' after top-level value");
  assert.equal(err('"a\tb"'), "invalid character '\\t' in string literal");
  assert.equal(err('"\\q"'), "invalid character 'q' in string escape code");
  assert.equal(err('"\\u12x4"'), "invalid character 'x' in \\u hexadecimal character escape");
  assert.equal(err('-x'), "invalid character 'x' in numeric literal");
  assert.equal(err('1.x'), "invalid character 'x' after decimal point in numeric literal");
  assert.equal(err('1e'), "invalid character ' ' in exponent of numeric literal");
  assert.equal(err('trux'), "invalid character 'x' in literal true (expecting 'e')");
  assert.equal(err('nul'), "invalid character ' ' in literal null (expecting 'l')");
  assert.equal(err("{'a':1}"), "invalid character '\\'' looking for beginning of object key string");
});

test('nesting deeper than 10,000 levels is refused, at any size', () => {
  assert.equal(err('['.repeat(10_000) + ']'.repeat(10_000)), undefined);
  assert.equal(err('['.repeat(10_001) + ']'.repeat(10_001)), "invalid character '[' exceeded max depth");
  assert.equal(err('{"a":'.repeat(100_000)), "invalid character '{' exceeded max depth");
});

test('bytes are quoted as strconv.Quote quotes the rune', () => {
  assert.equal(goQuoteChar(0x81), "'\\u0081'");
  assert.equal(goQuoteChar(0xe9), "'é'");
  assert.equal(goQuoteChar(0x00), "'\\x00'");
  assert.equal(err(Buffer.from([0x81, 0x01])), "invalid character '\\u0081' looking for beginning of value");
});

test('summarizeData: JSON objects as text, the rest as hex, 30 bytes', () => {
  assert.equal(summarizeBody(Buffer.from('')), '<empty>');
  assert.equal(summarizeBody(Buffer.from('{"kind":"ConfigMap","apiVersion":"v1"}')), '{"kind":"ConfigMap","apiVersio ...');
  assert.equal(summarizeBody(Buffer.from('kind: x')), '6b696e643a2078');
});
