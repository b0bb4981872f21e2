import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionsFor, mergeConditions, type ContentReport } from './conditions.ts';

const empty = (): ContentReport => ({ discoveryFailures: [], deleteFailures: [], remaining: new Map(), finalizers: new Map() });

describe('namespace conditions', () => {
  it('all five in their ok variant when nothing is wrong', () => {
    assert.deepEqual(
      conditionsFor(empty()).map((c) => `${c.type} ${c.status} ${c.reason}`),
      [
        'NamespaceDeletionDiscoveryFailure False ResourcesDiscovered',
        'NamespaceDeletionGroupVersionParsingFailure False ParsedGroupVersions',
        'NamespaceDeletionContentFailure False ContentDeleted',
        'NamespaceContentRemaining False ContentRemoved',
        'NamespaceFinalizersRemaining False ContentHasNoFinalizers',
      ],
    );
  });

  it("Kubernetes' messages for what remains, sorted", () => {
    const report = empty();
    report.remaining.set('widgets.example.com', 2).set('configmaps', 1);
    report.finalizers.set('example.com/b', 1).set('example.com/a', 2);
    report.deleteFailures.push('secrets: forbidden');
    const byType = new Map(conditionsFor(report).map((c) => [c.type, c]));
    assert.deepEqual(byType.get('NamespaceContentRemaining'), {
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: configmaps has 1 resource instances, widgets.example.com has 2 resource instances',
    });
    assert.equal(byType.get('NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/a in 2 resource instances, example.com/b in 1 resource instances');
    assert.equal(byType.get('NamespaceDeletionContentFailure')?.message, 'Failed to delete all resource types, 1 remaining: secrets: forbidden');
  });

  it('merging writes only changes and moves lastTransitionTime only for them', () => {
    const first = mergeConditions([], conditionsFor(empty()), 't1')!;
    assert.equal(first.length, 5);
    assert.equal(mergeConditions(first, conditionsFor(empty()), 't2'), undefined);
    const report = empty();
    report.remaining.set('configmaps', 1);
    const second = mergeConditions([{ type: 'Other', status: 'True', reason: 'X', message: 'kept' }, ...first], conditionsFor(report), 't3')!;
    assert.equal(second.find((c) => c.type === 'NamespaceContentRemaining')?.lastTransitionTime, 't3');
    assert.equal(second.find((c) => c.type === 'NamespaceFinalizersRemaining')?.lastTransitionTime, 't1');
    assert.equal(second.find((c) => c.type === 'Other')?.message, 'kept');
  });
});
