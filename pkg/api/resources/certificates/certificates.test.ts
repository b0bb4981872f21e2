import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type { KObject } from '../../types.ts';
import { createCa } from '../../../auth/pki.ts';
import { context, create, update } from '../test-helpers.ts';
import { certificatesigningrequests } from './csr.ts';

const strategy = certificatesigningrequests.strategy;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function csrPem(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: 'CN=jane,O=dev', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return csr.toString('pem');
}

async function request(): Promise<KObject> {
  return {
    metadata: { name: 'jane' },
    spec: { request: b64(await csrPem()), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], username: 'mallory', groups: ['system:masters'] },
  };
}

test('the requester is stamped from the request, not the body', async () => {
  const { obj, errors } = create(strategy, await request(), context('', 'jane', ['dev', 'system:authenticated']));
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.username, 'jane');
  assert.deepEqual(obj.spec.groups, ['dev', 'system:authenticated']);
  assert.deepEqual(obj.status, {});
});

test('CSR spec checks: PEM type, usages, signer name, expiration', async () => {
  const csr = await request();
  csr.spec.request = b64('hello');
  csr.spec.usages = ['client auth', 'flying', 'client auth'];
  csr.spec.signerName = 'kubernetes.io';
  csr.spec.expirationSeconds = 60;
  const errors = create(strategy, csr).errors;
  assert.equal(errors.length, 5, errors.join('\n'));
  assert.match(errors[0]!, /^spec\.request: Invalid value: ".*": PEM block type must be CERTIFICATE REQUEST$/);
  assert.match(errors[1]!, /^spec\.usages\[1\]: Unsupported value: "flying": supported values: "any", /);
  assert.equal(errors[2], 'spec.usages[2]: Duplicate value: "client auth"');
  assert.equal(errors[3], `spec.signerName: Invalid value: "kubernetes.io": must be a fully qualified domain and path of the form 'example.com/signer-name'`);
  assert.equal(errors[4], 'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)');
});

test('approval adds conditions through /approval only, and they cannot be removed', async () => {
  const old = create(strategy, await request()).obj;
  const approved = structuredClone(old);
  approved.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] };
  assert.deepEqual(update(strategy, structuredClone(approved), old).obj.status, {}, 'a plain update keeps the status');
  const viaStatus = update(strategy, structuredClone(approved), old, context('status')).obj;
  assert.equal(viaStatus.status.conditions, undefined, '/status cannot approve');
  const result = update(strategy, structuredClone(approved), old, context('approval'));
  assert.deepEqual(result.errors, []);
  const condition = result.obj.status.conditions[0];
  assert.equal(condition.lastUpdateTime, '2026-01-02T03:04:05Z');
  assert.equal(condition.lastTransitionTime, '2026-01-02T03:04:05Z');

  const removed = structuredClone(result.obj);
  removed.status.conditions = [{ type: 'Denied', status: 'True' }];
  assert.deepEqual(update(strategy, removed, result.obj, context('approval')).errors, ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
});

test('an issued certificate must be PEM certificates and never changes', async () => {
  const base = create(strategy, await request()).obj;
  const ca = await createCa('test-ca');
  const issued = structuredClone(base);
  issued.status = { certificate: b64(ca.certPem) };
  const first = update(strategy, issued, base, context('status'));
  assert.deepEqual(first.errors, []);
  const swapped = structuredClone(first.obj);
  swapped.status.certificate = b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
  assert.deepEqual(update(strategy, swapped, first.obj, context('status')).errors, [
    'status.certificate: Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "PRIVATE KEY"',
    'status.certificate: Invalid value: "<certificate data>": updates may not modify existing certificate content',
  ]);
  assert.equal(certificatesigningrequests.fieldSelectors?.['spec.signerName']?.(base), 'kubernetes.io/kube-apiserver-client');
});
