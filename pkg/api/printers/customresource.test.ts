import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import { customResourcePrinter, goJson } from './customresource.ts';
import { ago, now } from './testing.ts';

const certificate: KObject = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web-tls', namespace: 'default', creationTimestamp: ago(4 * 3600) },
  spec: { secretName: 'web-tls', dnsNames: ['example.com', 'www.example.com'], replicas: 2.9, weight: 0.25, tags: { b: 1, a: '<x>' } },
  status: {
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(3600) }],
    notAfter: '2024-07-30T12:00:00Z',
    renewed: true,
  },
};

test('Name first, then the CRD columns with their types, formats, priorities and descriptions', () => {
  const printer = customResourcePrinter([
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Secret', type: 'string', jsonPath: '.spec.secretName', description: 'Where the key pair is stored', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
  assert.deepEqual(printer.columns, [
    printer.columns[0],
    {
      name: 'Ready',
      type: 'string',
      format: '',
      description: 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status',
      priority: 0,
    },
    { name: 'Secret', type: 'string', format: '', description: 'Where the key pair is stored', priority: 1 },
    {
      name: 'Age',
      type: 'date',
      format: '',
      description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp',
      priority: 0,
    },
  ]);
  assert.equal(printer.columns[0].name, 'Name');
  assert.equal(printer.columns[0].format, 'name');
  assert.deepEqual(printer.row(certificate, now), ['web-tls', 'True', 'web-tls', '4h']);
});

test('a CRD version without columns gets Age only', () => {
  const printer = customResourcePrinter([]);
  assert.deepEqual(
    printer.columns.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['Age', 'date'],
    ],
  );
  assert.deepEqual(printer.row(certificate, now), ['web-tls', '4h']);
});

test('cells keep JSON types per column type, null when missing or of another type', () => {
  const printer = customResourcePrinter([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Weight', type: 'number', jsonPath: '.spec.weight' },
    { name: 'Renewed', type: 'boolean', jsonPath: '.status.renewed' },
    { name: 'Expires', type: 'date', jsonPath: '.status.notAfter' },
    { name: 'Missing', type: 'string', jsonPath: '.status.nothing' },
    { name: 'WrongType', type: 'boolean', jsonPath: '.spec.secretName' },
    { name: 'Names', type: 'string', jsonPath: '.spec.dnsNames' },
    { name: 'Tags', type: 'string', jsonPath: '.spec.tags' },
    { name: 'Weight text', type: 'string', jsonPath: '.spec.weight' },
    { name: 'Bad date', type: 'date', jsonPath: '.spec.secretName' },
  ]);
  assert.deepEqual(printer.row(certificate, now).slice(1), [
    2,
    0.25,
    true,
    '<invalid>',
    null,
    null,
    '["example.com","www.example.com"]',
    '{"a":"\\u003cx\\u003e","b":1}',
    '0.25',
    '<invalid>',
  ]);
  const future = customResourcePrinter([{ name: 'Expires', type: 'date', jsonPath: '.status.at' }]);
  assert.deepEqual(future.row({ metadata: { name: 'x' }, status: { at: ago(-90 * 86400) } }, now), ['x', '<invalid>']);
  assert.deepEqual(future.row({ metadata: { name: 'x' }, status: { at: ago(86400 * 3) } }, now), ['x', '3d']);
});

test('goJson sorts keys and escapes HTML characters like encoding/json', () => {
  assert.equal(goJson({ z: [1, 'a&b'], a: { y: null, x: false } }), '{"a":{"x":false,"y":null},"z":[1,"a\\u0026b"]}');
});

test('a column with an unparsable JSONPath ends the table there', () => {
  const printer = customResourcePrinter([
    { name: 'Secret', type: 'string', jsonPath: '.spec.secretName' },
    { name: 'Broken', type: 'string', jsonPath: '.spec[' },
    { name: 'Later', type: 'string', jsonPath: '.spec.secretName' },
  ]);
  assert.deepEqual(
    printer.columns.map((c) => c.name),
    ['Name', 'Secret'],
  );
  assert.deepEqual(printer.row(certificate, now), ['web-tls', 'web-tls']);
});
