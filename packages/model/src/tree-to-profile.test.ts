import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallTreeBuilder } from './call-tree.js';
import { buildCallTree } from './build-call-tree.js';
import { callTreeToProfile } from './tree-to-profile.js';

test('a call tree written as a profile builds back into the same tree', () => {
  const b = new CallTreeBuilder();
  b.insertStack(['main', 'a', 'b'], 3);
  b.insertStack(['main', 'a'], 1);
  b.insertStack(['main', 'c'], 2);
  b.insertStack(['other', 'a', 'b'], 4);
  const tree = b.build();
  const profile = callTreeToProfile(tree, {
    sampleType: { type: 'cpu', unit: 'nanoseconds' },
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: 10_000_000,
  });
  assert.deepEqual(profile.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
  assert.equal(profile.period, 10_000_000);
  assert.equal(profile.samples.length, 4);
  assert.deepEqual(buildCallTree(profile).toFolded(), tree.toFolded());
});
