import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { certPolicy, DEFAULT_CERT_POLICY, isDue, TEST_LIFETIME_ENV } from './certpolicy.ts';
import { createCa, issueClientCert } from './pki.ts';

describe('certPolicy', () => {
  test('a year, renewed 90 days ahead, checked daily; the test variable shortens all three', () => {
    assert.deepEqual(certPolicy({}), { leafValidityMs: 365 * 86_400_000, renewWithinMs: 90 * 86_400_000, checkIntervalMs: 86_400_000 });
    assert.deepEqual(certPolicy({ [TEST_LIFETIME_ENV]: '' }), DEFAULT_CERT_POLICY);
    assert.deepEqual(certPolicy({ [TEST_LIFETIME_ENV]: '60' }), { leafValidityMs: 60_000, renewWithinMs: 30_000, checkIntervalMs: 6_000 });
    for (const bad of ['5', '1.5', 'soon']) assert.throws(() => certPolicy({ [TEST_LIFETIME_ENV]: bad }), /at least 10/);
  });

  test('isDue compares what is left with the renewal window', async () => {
    const ca = await createCa('t');
    const { certPem } = await issueClientCert(ca, { commonName: 'x' });
    const day = 86_400_000;
    assert.equal(isDue(certPem, new Date(Date.now() + 270 * day), DEFAULT_CERT_POLICY), false);
    assert.equal(isDue(certPem, new Date(Date.now() + 280 * day), DEFAULT_CERT_POLICY), true);
  });
});
