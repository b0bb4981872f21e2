import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../apiserver/errors.ts';
import type { KObject } from '../types.ts';
import { decodeProtobufObject, encodeProtobufObject, encodeProtobufWatchEvent, supportsProtobuf } from './index.ts';
import { SAMPLES } from './samples.ts';

function roundTrip(obj: KObject): KObject {
  return decodeProtobufObject(encodeProtobufObject(obj));
}

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  assert.fail('expected a BadRequest');
}

describe('protobuf round trips', () => {
  for (const sample of SAMPLES) {
    it(`${sample.apiVersion} ${sample.kind}`, () => {
      assert.deepEqual(roundTrip(sample), sample);
      // Encoding is deterministic, so a second pass yields the same bytes.
      assert.ok(encodeProtobufObject(roundTrip(sample)).equals(encodeProtobufObject(sample)));
    });
  }
});

describe('protobuf JSON conventions', () => {
  it('drops omitempty zero values but keeps pointer zeros and non-omitempty zeros', () => {
    const obj = roundTrip({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', generateName: '', generation: 0 },
      spec: { replicas: 0, minReadySeconds: 0, paused: false, template: { spec: { containers: [{ name: '', ports: [{ containerPort: 0 }] }] } } },
    });
    assert.deepEqual(obj.metadata, { name: 'd', creationTimestamp: null });
    assert.equal(obj.spec.replicas, 0);
    assert.equal('minReadySeconds' in obj.spec, false);
    assert.equal('paused' in obj.spec, false);
    assert.deepEqual(obj.spec.template.spec.containers[0], { name: '', ports: [{ containerPort: 0 }], resources: {} });
    assert.deepEqual(obj.status, {});
  });

  it('writes IntOrString as number or string and Quantity as its string', () => {
    const pdb = roundTrip({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: '50%', maxUnavailable: 1 } });
    assert.equal(pdb.spec.minAvailable, '50%');
    assert.equal(pdb.spec.maxUnavailable, 1);
    const quota = roundTrip({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { cpu: '500m', memory: '1Gi' } } });
    assert.deepEqual(quota.spec.hard, { cpu: '500m', memory: '1Gi' });
  });

  it('prints Time with seconds and MicroTime with microseconds, empty times as null', () => {
    const lease = roundTrip({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', creationTimestamp: '2024-01-02T03:04:05Z' },
      spec: { renewTime: '2024-01-02T03:04:05.123456Z', acquireTime: '2024-01-02T03:04:05Z' },
    });
    assert.equal(lease.metadata.creationTimestamp, '2024-01-02T03:04:05Z');
    assert.equal(lease.spec.renewTime, '2024-01-02T03:04:05.123456Z');
    assert.equal(lease.spec.acquireTime, '2024-01-02T03:04:05.000000Z');
    const ns = roundTrip({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    assert.equal(ns.metadata.creationTimestamp, null);
  });

  it('keeps bytes as base64 and inlines embedded structs (volume sources, probe handlers)', () => {
    const secret = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: Buffer.from([0, 1, 255]).toString('base64') } });
    assert.equal(secret.data.k, 'AAH/');
    const pod = roundTrip({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }],
        containers: [{ name: 'c', readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 } }],
      },
    });
    assert.deepEqual(pod.spec.volumes, [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }]);
    assert.deepEqual(pod.spec.containers[0].readinessProbe, { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 });
  });

  it('takes apiVersion and kind from the URL when the envelope leaves them out', () => {
    const full = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
    // Rebuild the envelope with an empty typeMeta: 0x0a 0x00 then the raw and trailing fields.
    const typeMetaLength = full[5]!;
    const stripped = Buffer.concat([full.subarray(0, 4), Buffer.from([0x0a, 0x00]), full.subarray(6 + typeMetaLength)]);
    const obj = decodeProtobufObject(stripped, { apiVersion: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(obj, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', creationTimestamp: null }, data: { a: 'b' } });
  });

  it('skips fields it does not know and accepts packed repeated scalars', () => {
    const base = encodeProtobufObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } });
    // Append field 99 (varint 7) to the raw ServiceAccount message: raw is field 2 of the envelope.
    const typeMetaEnd = 6 + base[5]!;
    const rawLength = base[typeMetaEnd + 1]!;
    const raw = base.subarray(typeMetaEnd + 2, typeMetaEnd + 2 + rawLength);
    const extended = Buffer.concat([raw, Buffer.from([0x98, 0x06, 0x07])]);
    const body = Buffer.concat([base.subarray(0, typeMetaEnd), Buffer.from([0x12, extended.length]), extended]);
    assert.deepEqual(decodeProtobufObject(body).metadata, { name: 'sa', creationTimestamp: null });

    const job = encodeProtobufObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 2] } }] } },
    });
    // Unpacked values 1 and 2 are "18 01 18 02"; the packed form is "1a 02 01 02".
    const packed = Buffer.from(job.toString('hex').replace('18011802', '1a020102'), 'hex');
    assert.notDeepEqual(packed, job);
    assert.deepEqual(decodeProtobufObject(packed).spec.podFailurePolicy.rules[0].onExitCodes.values, [1, 2]);
  });

  it('encodes Status and lists for clients that accept only protobuf', () => {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 };
    assert.deepEqual(roundTrip(status as KObject), status);
    const list = roundTrip({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '7' } as KObject['metadata'], items: [{ metadata: { name: 'a' }, data: { x: 'y' } }] });
    assert.deepEqual(list.items, [{ metadata: { name: 'a', creationTimestamp: null }, data: { x: 'y' } }]);
    assert.equal(supportsProtobuf('v1', 'ConfigMapList'), true);
    assert.equal(supportsProtobuf('example.com/v1', 'Widget'), false);
  });

  it('frames watch events with a length prefix around an enveloped object', () => {
    const frame = encodeProtobufWatchEvent('ADDED', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    const event = frame.subarray(4);
    assert.deepEqual([...event.subarray(0, 7)], [0x0a, 0x05, ...Buffer.from('ADDED')]);
    const objectField = event.subarray(7);
    assert.equal(objectField[0], 0x12);
    // RawExtension {1: raw}: skip tag, length, inner tag and length to reach the envelope.
    const nested = objectField.subarray(objectField.indexOf(Buffer.from('k8s\0', 'latin1')));
    assert.equal(decodeProtobufObject(nested).metadata.name, 'n');
  });
});

describe('protobuf errors are BadRequests with kube-apiserver wording', () => {
  const expected = { apiVersion: 'v1', kind: 'Namespace' };

  it('rejects a body without the magic prefix', () => {
    assert.equal(
      badRequest(() => decodeProtobufObject(Buffer.from('{"kind":"Namespace"}'), expected)),
      'the object provided is unrecognized (must be of type Namespace): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (7b226b696e64223a224e616d657370616365227d)',
    );
  });

  it('rejects empty bodies', () => {
    assert.match(badRequest(() => decodeProtobufObject(Buffer.alloc(0), expected)), /: empty data \(<empty>\)$/);
    assert.match(badRequest(() => decodeProtobufObject(Buffer.from('k8s\0', 'latin1'), expected)), /: empty body \(6b387300\)$/);
  });

  it('rejects a truncated message', () => {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'some-namespace' } });
    assert.match(badRequest(() => decodeProtobufObject(body.subarray(0, body.length - 12), expected)), /unexpected EOF/);
  });

  it('rejects a kind it has no message for', () => {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    const renamed = Buffer.from(body.toString('latin1').replace('Namespace', 'Frobnicat'), 'latin1');
    assert.equal(
      badRequest(() => decodeProtobufObject(renamed, expected)),
      'Frobnicat in version "v1" cannot be handled as a Namespace: no kind "Frobnicat" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
  });

  it('rejects a field sent with the wrong wire type', () => {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    // metadata (field 1, bytes: 0x0a) turned into a varint field (0x08); its tag and length
    // byte sit just before the name field "0a 01 6e".
    const name = body.indexOf(Buffer.from([0x0a, 0x01, 0x6e]));
    assert.ok(name > 2 && body[name - 2] === 0x0a);
    const broken = Buffer.from(body);
    broken[name - 2] = 0x08;
    assert.match(badRequest(() => decodeProtobufObject(broken, expected)), /^Namespace in version "v1" cannot be handled as a Namespace: proto: wrong wireType = 0 for field Metadata/);
  });

  it('never throws anything but ApiError on random input', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const valid = encodeProtobufObject(SAMPLES[0]!);
    for (let i = 0; i < 500; i++) {
      const body = Buffer.from(valid);
      for (let j = 0; j < 3; j++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      try {
        decodeProtobufObject(body.subarray(0, Math.floor(random() * body.length) + 1), expected);
      } catch (err) {
        assert.ok(err instanceof ApiError, String(err));
      }
    }
  });
});
