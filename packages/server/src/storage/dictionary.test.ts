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
  type StackSamples,
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

test('function and stack ids are the ones stored data already holds (format 5)', () => {
  // A change here would orphan every stored stack: it needs a new FORMAT_VERSION. Function ids
  // changed in format 5 (name-id.ts: UTF-8 bytes, four at a time), stack ids' mixing in format
  // 4 (each half on its own); the values were computed by this store when format 5 was made.
  assert.deepEqual(hashString('main'), [3905433559, 418052831]);
  assert.deepEqual(hashString('runtime.mallocgc'), [306528669, 321056598]);
  assert.deepEqual(hashString('ünïcode.函数'), [2325534517, 3975270593]);
  const main = childId(0, 0, ...hashString('main'));
  assert.deepEqual(childId(...main, ...hashString('runtime.mallocgc')), [251252173, 1868276091]);
  const d = new Dictionary();
  d.internStackSamples(makeSamples([['main;runtime.mallocgc', 1]]));
  const { functions, stacks } = d.takeNew();
  assert.deepEqual(
    functions.map((f) => [f.name, f.hi, f.lo]),
    [
      ['main', 3905433559, 418052831],
      ['runtime.mallocgc', 306528669, 321056598],
    ],
  );
  assert.deepEqual([stacks[1]!.hi, stacks[1]!.lo], [251252173, 1868276091]);
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

/**
 * Stack samples whose locations may hold several frames (inlining): each stack is a list of
 * locations, each location a list of frames outermost first; equal locations share one entry.
 */
function samplesWithInlining(lines: readonly (readonly [string[][], number])[]): StackSamples {
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const locations = new Map<string, number>();
  const locationStart = [0];
  const locationFrames: number[] = [];
  const stack: number[] = [];
  const stackStart = [0];
  for (const [locs] of lines) {
    for (const frames of [...locs].reverse()) {
      const key = frames.join('+');
      let l = locations.get(key);
      if (l === undefined) {
        locations.set(key, (l = locations.size));
        for (const name of frames) {
          let id = nameIds.get(name);
          if (id === undefined) nameIds.set(name, (id = names.push(name) - 1));
          locationFrames.push(id);
        }
        locationStart.push(locationFrames.length);
      }
      stack.push(l);
    }
    stackStart.push(stack.length);
  }
  return {
    names,
    locationStart: Uint32Array.from(locationStart),
    locationFrames: Uint32Array.from(locationFrames),
    length: lines.length,
    stackStart: Uint32Array.from(stackStart),
    stack: Uint32Array.from(stack),
    values: Float64Array.from(lines, ([, value]) => value),
  };
}

test('locations with several frames (inlining), in any mix and order, intern as their frames do', () => {
  const location = fc.array(frame, { minLength: 1, maxLength: 3 });
  const line = fc.tuple(fc.array(location, { minLength: 0, maxLength: 8 }), fc.integer({ min: 0, max: 50 }));
  fc.assert(
    fc.property(fc.array(fc.array(line, { maxLength: 12 }), { minLength: 1, maxLength: 3 }), (profiles) => {
      const bySamples = new Dictionary();
      const byTree = new Dictionary();
      for (const lines of profiles) {
        const samples = samplesWithInlining(lines);
        const a = sumsByStack(bySamples.internStackSamples(samples));
        const kept = lines.filter(([locs, value]) => value !== 0 && locs.length > 0);
        const b = byTree.internCallTree(treeOf(kept.map(([locs, value]) => [locs.flat(), value] as const)));
        assert.deepEqual(a, sumsByStack(b), 'value per dense stack index');
        assert.deepEqual(bySamples.takeNew().stacks, byTree.takeNew().stacks, 'new stacks, in order');
        // Again: every id computed on the fast path is found, none takes the path that adds.
        const slow = bySamples as unknown as { addSamplePath: () => number };
        const addSamplePath = slow.addSamplePath;
        slow.addSamplePath = () => assert.fail('a known stack took the path that adds stacks');
        assert.deepEqual(sumsByStack(bySamples.internStackSamples(samples)), a);
        slow.addSamplePath = addSamplePath;
      }
    }),
  );
});

test('real pprof fixtures: stack samples store the stacks and per-function totals of buildCallTree', () => {
  // go/cpu.pb.gz has locations with inlined functions (several lines); the Node SDK's wall
  // profile has three sample types and a sample label.
  for (const file of [
    ['go', 'cpu.pb.gz'],
    ['go', 'heap.pb.gz'],
    ['pyroscope-nodejs', 'fresh', 'wall-cpu-001.pprof.gz'],
  ]) {
    // Decoded as ingest does, with the strings' ids hashed from the pprof's bytes; the call tree
    // side hashes its names as text, so equal new stacks show both give the same ids.
    const profile = parsePprof(readFileSync(testdata(...file)), { stringIds: true })!;
    const perType = buildStackSamples(profile);
    assert.ok(perType[0]!.nameIds !== undefined, 'the names come with their ids');
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
