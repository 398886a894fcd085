import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildCallTree } from './build-call-tree.js';
import { mergeCallTrees } from './merge.js';
import { mergeProfiles } from './merge-profiles.js';
import type { Profile } from './profile.js';
import { ProfileBuilder } from './profile-builder.js';

const frame = fc.constantFrom('main', 'a', 'b', 'c', 'd');
const sample = fc.record({
  stack: fc.array(frame, { minLength: 1, maxLength: 6 }),
  value: fc.integer({ min: 1, max: 1000 }),
  pod: fc.constantFrom(undefined, 'pod-1', 'pod-2'),
});
const arbProfile = fc.array(sample, { maxLength: 20 }).map((samples): Profile => {
  const b = new ProfileBuilder({
    sampleTypes: [
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ],
    defaultSampleType: 1,
  });
  for (const s of samples) b.addStack(s.stack, [1, s.value], s.pod ? [{ key: 'pod', str: s.pod }] : undefined);
  return b.build();
});

const folded = (p: Profile, type = 1): string[] => buildCallTree(p, { sampleType: type }).toFolded();

test('merging profiles equals merging their call trees', () => {
  fc.assert(
    fc.property(arbProfile, arbProfile, (a, b) => {
      const merged = mergeProfiles([a, b]);
      for (const type of [0, 1]) {
        assert.deepEqual(
          folded(merged, type),
          mergeCallTrees([buildCallTree(a, { sampleType: type }), buildCallTree(b, { sampleType: type })]).toFolded(),
        );
      }
    }),
  );
});

test('profile merge is associative and commutative, and aggregates equal samples', () => {
  fc.assert(
    fc.property(arbProfile, arbProfile, arbProfile, (a, b, c) => {
      const left = mergeProfiles([mergeProfiles([a, b]), c]);
      const right = mergeProfiles([a, mergeProfiles([b, c])]);
      assert.deepEqual(folded(left), folded(right));
      assert.deepEqual(folded(mergeProfiles([a, b])), folded(mergeProfiles([b, a])));
      assert.ok(left.samples.length <= a.samples.length + b.samples.length + c.samples.length);
      const self = mergeProfiles([a, a]);
      assert.ok(self.samples.length <= a.samples.length);
    }),
  );
});

test('sample types are matched by type and unit; missing ones are 0', () => {
  const cpu = new ProfileBuilder({ sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }] });
  cpu.addStack(['main'], [10]);
  const alloc = new ProfileBuilder({ sampleTypes: [{ type: 'alloc_space', unit: 'bytes' }] });
  alloc.addStack(['main', 'make'], [64]);
  const merged = mergeProfiles([cpu.build(), alloc.build()]);
  assert.deepEqual(
    merged.sampleTypes.map((t) => t.type),
    ['cpu', 'alloc_space'],
  );
  assert.deepEqual(folded(merged, 0), ['main 10']);
  assert.deepEqual(folded(merged, 1), ['main;make 64']);
});
