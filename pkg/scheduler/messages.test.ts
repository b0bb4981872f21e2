import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitErrorMessage } from './messages.ts';

describe('FitError message', () => {
  it('counts reasons over nodes and sorts the parts as strings, counts included', () => {
    const failures = [
      { reasons: ['Insufficient cpu', 'Insufficient memory'], unresolvable: false },
      { reasons: ['Insufficient cpu'], unresolvable: false },
      { reasons: ['node(s) had untolerated taint {a: b}'], unresolvable: true },
    ];
    assert.equal(fitErrorMessage(3, failures), '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {a: b}, 2 Insufficient cpu.');
  });

  it('appends the preemption message with its own full stop, as Kubernetes prints it', () => {
    const failures = [{ reasons: ['Insufficient cpu'], unresolvable: false }];
    const preemption = `preemption: ${fitErrorMessage(1, [{ reasons: ['No preemption victims found for incoming pod'], unresolvable: true }])}`;
    assert.equal(fitErrorMessage(1, failures, preemption), '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..');
  });
});
