import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parsePprof } from '@kiln/formats';
import {
  buildCallTree,
  buildStackSamples,
  CallTreeBuilder,
  mergeCallTrees,
  ROOT_NAME,
  selectTopFunctions,
  type CallTree,
} from '@kiln/model';
import { testdata } from '../test-helpers/testdata.js';
import { Dictionary, type InternedSamples } from './dictionary.js';
import { childId, hashString } from './ids.js';
import { makeSamples } from './test-helpers/stack-samples.js';

const frame = fc.constantFrom('main', 'run', 'parse', 'gc', 'work', ROOT_NAME, 'json.Marshal', 'runtime.mallocgc');
const stacks = fc.array(fc.tuple(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.integer({ min: -3, max: 50 })), {
  maxLength: 30,
});
// Values that never cancel out (a stack whose values sum to 0 is left out of a tree, not of samples).
const uncancelled = fc.array(
  fc.tuple(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 50 })),
  { maxLength: 30 },
);

function treeOf(lines: readonly (readonly [string[], number])[]): CallTree {
  const b = new CallTreeBuilder();
  for (const [names, value] of lines) b.insertStack(names, value);
  return b.build();
}

function sumsByStack(interned: InternedSamples): Map<number, number> {
  const sums = new Map<number, number>();
  for (let i = 0; i < interned.count; i++) {
    const s = interned.stacks[i]!;
    sums.set(s, (sums.get(s) ?? 0) + interned.values[i]!);
  }
  for (const [s, v] of sums) if (v === 0) sums.delete(s);
  return sums;
}

test('a tree interned and built back from its samples is the same tree', () => {
  fc.assert(
    fc.property(fc.array(stacks, { minLength: 1, maxLength: 4 }), (profiles) => {
      const d = new Dictionary();
      const trees = profiles.map(treeOf);
      const interned = trees.map((t) => d.internCallTree(t));
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

test('stack samples intern to the same stacks, ids and sums as the call tree of the same samples', () => {
  fc.assert(
    fc.property(fc.array(uncancelled, { minLength: 1, maxLength: 4 }), (profiles) => {
      // One dictionary per form, fed the same profiles in the same order.
      const bySamples = new Dictionary();
      const byTree = new Dictionary();
      for (const lines of profiles) {
        const folded = lines.map(([names, value]) => [names.join(';'), value] as const);
        const a = bySamples.internStackSamples(makeSamples(folded));
        // As buildCallTree, which leaves samples of value 0 out of the tree altogether.
        const b = byTree.internCallTree(treeOf(lines.filter(([, value]) => value !== 0)));
        assert.deepEqual(sumsByStack(a), sumsByStack(b), 'value per dense stack index');
        assert.deepEqual(bySamples.takeNew().stacks, byTree.takeNew().stacks, 'new stacks, in order');
      }
    }),
  );
});

test('function and stack ids are the ones stored data already holds (format 4)', () => {
  // A change here would orphan every stored stack: it needs a new FORMAT_VERSION. Function ids
  // are format 3's (commit e628d46); stack ids changed in format 4 (each half mixed on its own),
  // computed by this store when format 4 was made.
  assert.deepEqual(hashString('main'), [1438648981, 1161338694]);
  assert.deepEqual(hashString('runtime.mallocgc'), [2806445911, 44340638]);
  assert.deepEqual(hashString('ünïcode.函数'), [2856174662, 3385082436]);
  const main = childId(0, 0, ...hashString('main'));
  assert.deepEqual(childId(...main, ...hashString('runtime.mallocgc')), [2990724084, 212668861]);
  const d = new Dictionary();
  d.internStackSamples(makeSamples([['main;runtime.mallocgc', 1]]));
  const { functions, stacks } = d.takeNew();
  assert.deepEqual(
    functions.map((f) => [f.name, f.hi, f.lo]),
    [
      ['main', 1438648981, 1161338694],
      ['runtime.mallocgc', 2806445911, 44340638],
    ],
  );
  assert.deepEqual([stacks[1]!.hi, stacks[1]!.lo], [2990724084, 212668861]);
});

test("stack ids are content-derived: mix(parent's id, hash(function name)) from a root of 0", () => {
  for (const intern of [
    (d: Dictionary, value: number) => d.internCallTree(treeOf([[['main', 'work'], value]])),
    (d: Dictionary, value: number) => d.internStackSamples(makeSamples([['main;work', value]])),
  ]) {
    const d = new Dictionary();
    intern(d, 3);
    const { stacks } = d.takeNew();
    const main = childId(0, 0, ...hashString('main'));
    const work = childId(...main, ...hashString('work'));
    assert.deepEqual(
      stacks.map((s) => [s.hi, s.lo]),
      [main, work],
    );
    assert.deepEqual([stacks[1]!.parentHi, stacks[1]!.parentLo], main);
    // Known stacks are not recorded again.
    intern(d, 5);
    assert.deepEqual(d.takeNew().stacks, []);
  }
});

test('real pprof fixtures: stack samples store the stacks and per-function totals of buildCallTree', () => {
  // go/cpu.pb.gz has locations with inlined functions (several lines); the Node SDK's wall
  // profile has three sample types and a sample label.
  for (const file of [
    ['go', 'cpu.pb.gz'],
    ['go', 'heap.pb.gz'],
    ['pyroscope-nodejs', 'fresh', 'wall-cpu-001.pprof.gz'],
  ]) {
    const profile = parsePprof(readFileSync(testdata(...file)))!;
    const perType = buildStackSamples(profile);
    // One dictionary per form, across every sample type in turn, as a tenant's would be.
    const bySamples = new Dictionary();
    const byTree = new Dictionary();
    for (let t = 0; t < profile.sampleTypes.length; t++) {
      const what = `${file.join('/')} ${profile.sampleTypes[t]!.type}`;
      const a = bySamples.internStackSamples(perType[t]!);
      const tree = buildCallTree(profile, { sampleType: t });
      const b = byTree.internCallTree(tree);
      assert.deepEqual(bySamples.takeNew().stacks, byTree.takeNew().stacks, `${what}: new stacks, in order`);
      assert.deepEqual(sumsByStack(a), sumsByStack(b), `${what}: value per stack`);
      const stored = bySamples.buildTree(a.stacks, a.values, a.count);
      assert.deepEqual(selectTopFunctions(stored), selectTopFunctions(tree), `${what}: self and total per function`);
      assert.deepEqual(stored.toFolded(), tree.toFolded(), `${what}: stacks`);
    }
  }
});
