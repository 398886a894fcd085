import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CallTreeBuilder, mergeCallTrees, ROOT_NAME, type CallTree } from '@kiln/model';
import { Dictionary } from './dictionary.js';
import { childId, hashString } from './ids.js';

const frame = fc.constantFrom('main', 'run', 'parse', 'gc', 'work', ROOT_NAME, 'json.Marshal', 'runtime.mallocgc');
const stacks = fc.array(fc.tuple(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.integer({ min: -3, max: 50 })), {
  maxLength: 30,
});

function treeOf(lines: readonly (readonly [string[], number])[]): CallTree {
  const b = new CallTreeBuilder();
  for (const [names, value] of lines) b.insertStack(names, value);
  return b.build();
}

test('a tree interned and built back from its samples is the same tree', () => {
  fc.assert(
    fc.property(fc.array(stacks, { minLength: 1, maxLength: 4 }), (profiles) => {
      const d = new Dictionary();
      const trees = profiles.map(treeOf);
      const interned = trees.map((t) => d.internSamples(t));
      trees.forEach((tree, i) => {
        const { stacks, values, count } = interned[i]!;
        assert.deepEqual(d.buildTree(stacks, values, count).toFolded(), tree.toFolded());
      });
      // Samples of several profiles together make their merge.
      const all = interned.flatMap((s) => [...s.stacks.subarray(0, s.count)]);
      const allValues = interned.flatMap((s) => [...s.values.subarray(0, s.count)]);
      assert.deepEqual(d.buildTree(all, allValues).toFolded(), mergeCallTrees(trees).toFolded());
    }),
  );
});

test("stack ids are content-derived: mix(parent's id, hash(function name)) from a root of 0", () => {
  const d = new Dictionary();
  d.internSamples(treeOf([[['main', 'work'], 3]]));
  const { stacks } = d.takeNew();
  const main = childId(0, 0, ...hashString('main'));
  const work = childId(...main, ...hashString('work'));
  assert.deepEqual(
    stacks.map((s) => [s.hi, s.lo]),
    [main, work],
  );
  assert.deepEqual([stacks[1]!.parentHi, stacks[1]!.parentLo], main);
  // Known stacks are not recorded again.
  d.internSamples(treeOf([[['main', 'work'], 5]]));
  assert.deepEqual(d.takeNew().stacks, []);
});
