import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import { builtinPrinters, buildTable, defaultPrinter } from './index.ts';
import { ago, now } from './testing.ts';

const cm: KObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'default', uid: 'u-1', resourceVersion: '42', creationTimestamp: ago(30), labels: { app: 'web' } },
  data: { a: '1', b: '2' },
  binaryData: { c: 'AA==' },
};

test('a Table with column definitions and PartialObjectMetadata rows by default', () => {
  const table = buildTable(builtinPrinters.get('/ConfigMap')!, [cm], { now });
  assert.deepEqual(table, {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: table.columnDefinitions![0].description, priority: 0 },
      { name: 'Data', type: 'string', format: '', description: table.columnDefinitions![1].description, priority: 0 },
      { name: 'Age', type: 'string', format: '', description: table.columnDefinitions![2].description, priority: 0 },
    ],
    rows: [{ cells: ['settings', 3, '30s'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata } }],
  });
  assert.match(table.columnDefinitions![0].description, /^Name must be unique within a namespace/);
  assert.match(table.columnDefinitions![2].description, /^CreationTimestamp is a timestamp/);
});

test('includeObject Object and None; noHeaders drops the column definitions', () => {
  const full = buildTable(builtinPrinters.get('/ConfigMap')!, [cm], { now, includeObject: 'Object' });
  assert.equal(full.rows![0].object, cm);
  const none = buildTable(builtinPrinters.get('/ConfigMap')!, [cm], { now, includeObject: 'None', noHeaders: true });
  assert.equal(none.rows![0].object, null);
  assert.equal(none.columnDefinitions, null);
  assert.deepEqual(JSON.parse(JSON.stringify(none)).rows[0], { cells: ['settings', 3, '30s'], object: null });
});

test('finished pods carry the Completed row condition between cells and object', () => {
  const pod: KObject = { metadata: { name: 'done', creationTimestamp: ago(5) }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Succeeded' } };
  const table = buildTable(builtinPrinters.get('/Pod')!, [pod], { now, includeObject: 'None' });
  assert.deepEqual(Object.keys(table.rows![0]), ['cells', 'conditions', 'object']);
  assert.equal(table.rows![0].conditions![0].type, 'Completed');
});

test('default table: NAME and CREATED AT in UTC RFC 3339; rows null when empty', () => {
  const role: KObject = { metadata: { name: 'pod-reader', creationTimestamp: '2024-04-30T22:15:07+02:00' } };
  const table = buildTable(defaultPrinter, [role], { now });
  assert.deepEqual(
    table.columnDefinitions!.map((c) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  assert.deepEqual(table.rows![0].cells, ['pod-reader', '2024-04-30T20:15:07Z']);
  assert.deepEqual(defaultPrinter.row({ metadata: { name: 'x' } }, now), ['x', '0001-01-01T00:00:00Z']);
  assert.equal(buildTable(defaultPrinter, [], { now }).rows, null);
  assert.deepEqual(buildTable(builtinPrinters.get('/Pod')!, [], { now }).rows, []);
});

test('every built-in printer starts with Name (Events excepted) and yields one cell per column', () => {
  const empty: KObject = { metadata: { name: 'x' } };
  for (const [key, printer] of builtinPrinters) {
    if (key.endsWith('/Event')) assert.equal(printer.columns.at(-1)!.format, 'name');
    else if (key !== 'autoscaling/Scale') assert.deepEqual([printer.columns[0].name, printer.columns[0].format], ['Name', 'name'], key);
    const cells = printer.row(empty, now);
    // Kubernetes declares no Age column for IPAddress but still sends the cell.
    const extra = key === 'networking.k8s.io/IPAddress' ? 1 : 0;
    assert.equal(cells.length, printer.columns.length + extra, key);
  }
  assert.equal(builtinPrinters.has('rbac.authorization.k8s.io/ClusterRole'), false);
  assert.equal(builtinPrinters.has('apiextensions.k8s.io/CustomResourceDefinition'), false);
});
