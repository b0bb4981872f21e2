import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldErrorMessage } from '../../apiserver/errors.ts';
import type { SchemaNode } from '../schema.ts';
import { customResourceSchemas } from './crd.ts';
import { applyDefaults, prune } from './pruning.ts';
import { validateStructural } from './structural.ts';

const spec: SchemaNode = {
  type: 'object',
  required: ['cron'],
  properties: {
    cron: { type: 'string', pattern: '^(\\S+ ){4}\\S+$' },
    image: { type: 'string', minLength: 1, maxLength: 10 },
    replicas: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
    ratio: { type: 'number', exclusiveMaximum: true, maximum: 1, multipleOf: 0.25 },
    mode: { type: 'string', enum: ['a', 'b'] },
    port: { 'x-kubernetes-int-or-string': true },
    tags: { type: 'array', maxItems: 2, minItems: 1, items: { type: 'string' } },
    labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 2 },
    note: { type: 'string', nullable: true },
    template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
  },
};
const crd = customResourceSchemas({
  group: 'stable.example.com', version: 'v1', kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs',
  openAPIV3Schema: { type: 'object', properties: { spec } },
})['com.example.stable.v1.CronTab']!;

const messages = (obj: unknown) => validateStructural(obj, crd).map(fieldErrorMessage);

test('a valid custom resource has no errors', () => {
  const obj = {
    apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c' },
    spec: { cron: '* * * * */5', image: 'img', replicas: 3, ratio: 0.5, mode: 'a', port: 'http', tags: ['x'], labels: { a: 'b' }, note: null,
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} } },
  };
  assert.deepEqual(messages(obj), []);
  assert.deepEqual(messages({ ...obj, spec: { ...obj.spec, port: 8080 } }), []);
});

test('each failed constraint has Kubernetes wording and path', () => {
  const obj = {
    apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c' },
    spec: {
      image: 'a-very-long-image', replicas: 0, ratio: 1, mode: 'c', port: true, tags: ['a', 'b', 'c'],
      labels: { a: 'b', c: 'd', e: 'f' }, template: { spec: {} },
    },
  };
  assert.deepEqual(messages(obj), [
    'spec.cron: Required value',
    'spec.image: Too long: may not be more than 10 bytes',
    'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
    'spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1',
    'spec.mode: Unsupported value: "c": supported values: "a", "b"',
    'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    'spec.tags: Too many: 3: must have at most 2 items',
    'spec.labels: Too many: 3: must have at most 2 items',
    'spec.template.apiVersion: Required value: must not be empty',
    'spec.template.kind: Required value: must not be empty',
  ]);
});

test('types, patterns, lengths, nulls and minimums, in document order', () => {
  const base = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c' } };
  assert.deepEqual(messages({ ...base, spec: { cron: 'nope', replicas: 'three', image: '', tags: [], ratio: 0.3, mode: null } }), [
    "spec.cron: Invalid value: \"nope\": spec.cron in body should match '^(\\S+ ){4}\\S+$'",
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    'spec.image: Invalid value: "": spec.image in body should be at least 1 chars long',
    'spec.tags: Invalid value: []: spec.tags in body should have at least 1 items',
    'spec.ratio: Invalid value: 0.3: spec.ratio in body should be a multiple of 0.25',
    'spec.mode: Invalid value: "null": spec.mode in body must be of type string: "null"',
  ]);
  assert.deepEqual(messages({ ...base, spec: 'x' }), ['spec: Invalid value: "string": spec in body must be of type object: "string"']);
  assert.deepEqual(messages({ ...base, spec: { cron: '* * * * *', replicas: 1.5 } }),
    ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']);
});

test('combinators: anyOf, oneOf, not', () => {
  const schema: SchemaNode = {
    type: 'object',
    properties: {
      a: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      b: { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'integer', maximum: 10 }] },
      c: { type: 'string', not: { enum: ['forbidden'] } },
    },
  };
  assert.deepEqual(validateStructural({ a: 'x', b: -1, c: 'ok' }, schema), []);
  assert.deepEqual(validateStructural({ a: true, b: 5, c: 'forbidden' }, schema).map(fieldErrorMessage), [
    'a: Invalid value: true: a in body must validate at least one schema (anyOf)',
    'b: Invalid value: 5: b in body must validate one and only one schema (oneOf)',
    'c: Invalid value: "forbidden": c in body must not validate the schema (not)',
  ]);
});

test('pruning drops unspecified fields but keeps type meta, metadata and preserved subtrees', () => {
  const obj = {
    apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c', anything: 1 },
    spec: { cron: '* * * * *', bogus: 1, labels: { a: 'b' }, tags: ['x'], template: { apiVersion: 'v1', kind: 'Pod', free: { x: 1 } } },
    status: { y: 1 },
  };
  const pruned = prune(obj, crd);
  assert.deepEqual(pruned, ['spec.bogus', 'status']);
  assert.deepEqual(obj, {
    apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c', anything: 1 },
    spec: { cron: '* * * * *', labels: { a: 'b' }, tags: ['x'], template: { apiVersion: 'v1', kind: 'Pod', free: { x: 1 } } },
  });
  const nested: SchemaNode = { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } } } };
  const list = { items: [{ a: 'x', b: 1 }, { c: 2 }] };
  assert.deepEqual(prune(list, nested), ['items[0].b', 'items[1].c']);
  assert.deepEqual(list, { items: [{ a: 'x' }, {}] });
});

test('defaults apply top-down, replace non-nullable nulls, and drop nulls without default', () => {
  const schema: SchemaNode = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          replicas: { type: 'integer', default: 1 },
          strategy: { type: 'object', default: { type: 'Rolling' }, properties: { type: { type: 'string' }, maxSurge: { type: 'integer', default: 2 } } },
          gone: { type: 'string' },
          kept: { type: 'string', nullable: true },
          ports: { type: 'array', items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' } } } },
          env: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  };
  const empty: Record<string, unknown> = {};
  applyDefaults(empty, schema);
  assert.deepEqual(empty, { spec: { replicas: 1, strategy: { type: 'Rolling', maxSurge: 2 } } });
  const obj = { spec: { replicas: null, gone: null, kept: null, ports: [{}, { protocol: 'UDP' }], env: { a: null, b: 'x' } } };
  applyDefaults(obj, schema);
  assert.deepEqual(obj, {
    spec: { replicas: 1, kept: null, ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }], env: { b: 'x' }, strategy: { type: 'Rolling', maxSurge: 2 } },
  });
  const defaults = (schema.properties!.spec!.properties!.strategy!.default as { type: string });
  assert.equal(defaults.type, 'Rolling', 'the schema default is copied, not shared');
  assert.equal('maxSurge' in defaults, false);
});
