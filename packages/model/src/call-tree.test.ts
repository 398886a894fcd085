import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CallTreeBuilder, type CallTree } from './call-tree.js';
import { diffCallTrees } from './diff.js';
import { decodeFlamebearer, encodeFlamebearer } from './flamebearer.js';
import { decodeDiffFlamebearer, encodeDiffFlamebearer } from './flamebearer-diff.js';
import { mergeCallTrees } from './merge.js';
import { buildSandwich } from './sandwich.js';
import { selectTopFunctions } from './top.js';
import { trimCallTree } from './trim.js';

// Stacks over a small alphabet so that random trees share prefixes and recurse.
const frame = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'main', 'other');
const stack = fc.array(frame, { minLength: 1, maxLength: 8 });
const samples = fc.array(fc.tuple(stack, fc.integer({ min: 1, max: 1_000_000 })), { maxLength: 40 });
const arbTree = samples.map(build);

function build(lines: readonly (readonly [string[], number])[]): CallTree {
  const b = new CallTreeBuilder();
  for (const [s, v] of lines) b.insertStack(s, v);
  return b.build();
}

function checkInvariants(t: CallTree): void {
  for (let i = 0; i < t.size; i++) {
    let sum = t.self[i]!;
    for (const c of t.children(i)) {
      sum += t.total[c]!;
      assert.ok(t.parent[c] === i && c > i, 'parents precede children');
    }
    assert.equal(t.total[i], sum, `total of node ${i}`);
  }
}

test('totals are self plus children, parents precede children', () => {
  fc.assert(fc.property(arbTree, checkInvariants));
});

test('merge is associative and commutative', () => {
  fc.assert(
    fc.property(arbTree, arbTree, arbTree, (a, b, c) => {
      const left = mergeCallTrees([mergeCallTrees([a, b]), c]);
      const right = mergeCallTrees([a, mergeCallTrees([b, c])]);
      assert.deepEqual(left.toFolded(), right.toFolded());
      assert.deepEqual(mergeCallTrees([a, b]).toFolded(), mergeCallTrees([b, a]).toFolded());
      assert.equal(left.totalValue, a.totalValue + b.totalValue + c.totalValue);
      checkInvariants(left);
    }),
  );
});

test('merge is exact for large integer values', () => {
  const a = build([[['x'], 2 ** 52 + 1]]);
  const b = build([[['x'], 3]]);
  assert.equal(mergeCallTrees([a, b]).totalValue, 2 ** 52 + 4);
});

test('diff of a tree with itself is all zeros', () => {
  fc.assert(
    fc.property(arbTree, (t) => {
      const d = diffCallTrees(t, t);
      assert.equal(d.tree.size, t.size);
      for (let i = 0; i < d.tree.size; i++) {
        assert.equal(d.rightTotal[i]! - d.leftTotal[i]!, 0);
        assert.equal(d.rightSelf[i]! - d.leftSelf[i]!, 0);
      }
    }),
  );
});

test('diff keeps each side exact', () => {
  fc.assert(
    fc.property(arbTree, arbTree, (l, r) => {
      const d = diffCallTrees(l, r);
      assert.equal(d.leftTotal[0], l.totalValue);
      assert.equal(d.rightTotal[0], r.totalValue);
      assert.equal(d.tree.totalValue, l.totalValue + r.totalValue);
    }),
  );
});

test('trim keeps the total exact and the node count under the limit', () => {
  fc.assert(
    fc.property(arbTree, fc.integer({ min: 1, max: 30 }), (t, maxNodes) => {
      const trimmed = trimCallTree(t, maxNodes);
      assert.equal(trimmed.totalValue, t.totalValue);
      assert.ok(trimmed.size - 1 <= maxNodes, `${trimmed.size - 1} > ${maxNodes}`);
      checkInvariants(trimmed);
    }),
  );
});

test('trim keeps the largest nodes whole', () => {
  const t = build([
    [['a', 'b'], 100],
    [['a', 'c'], 1],
    [['d'], 2],
    [['e'], 1],
  ]);
  assert.deepEqual(trimCallTree(t, 4).toFolded(), ['a;b 100', 'a;other 1', 'other 3']);
  // With 3, keeping b would need two `other` nodes besides a and b: a's children fold too.
  assert.deepEqual(trimCallTree(t, 3).toFolded(), ['a;other 101', 'other 3']);
  assert.equal(trimCallTree(t, 0), t);
});

test('flamebearer encode and decode round-trip', () => {
  fc.assert(
    fc.property(arbTree, fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }), (t, maxNodes) => {
      const fb = encodeFlamebearer(t, { maxNodes });
      const back = decodeFlamebearer(fb);
      assert.equal(back.totalValue, t.totalValue);
      assert.deepEqual(encodeFlamebearer(back), fb);
      if (maxNodes === undefined) assert.deepEqual(back.toFolded(), t.toFolded());
    }),
  );
});

test('diff flamebearer encode and decode round-trip', () => {
  fc.assert(
    fc.property(arbTree, arbTree, fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }), (l, r, maxNodes) => {
      const fb = encodeDiffFlamebearer(diffCallTrees(l, r), { maxNodes });
      assert.equal(fb.leftTicks, l.totalValue);
      assert.equal(fb.rightTicks, r.totalValue);
      assert.deepEqual(encodeDiffFlamebearer(decodeDiffFlamebearer(fb)), fb);
    }),
  );
});

test('top functions count recursion once in total', () => {
  const t = build([
    [['main', 'a', 'a', 'b'], 5],
    [['main', 'a'], 2],
    [['main', 'b'], 1],
  ]);
  const top = new Map(selectTopFunctions(t).map((f) => [f.name, f]));
  assert.deepEqual(top.get('a'), { name: 'a', self: 2, total: 7 });
  assert.deepEqual(top.get('b'), { name: 'b', self: 6, total: 6 });
  assert.deepEqual(top.get('main'), { name: 'main', self: 0, total: 8 });
});

test('sandwich: callers and callees agree with the function total', () => {
  fc.assert(
    fc.property(arbTree, frame, (t, name) => {
      const total = selectTopFunctions(t).find((f) => f.name === name)?.total ?? 0;
      const { callers, callees } = buildSandwich(t, name);
      assert.equal(callers.totalValue, total);
      assert.equal(callees.totalValue, total);
    }),
  );
  const t = build([
    [['main', 'x', 'f', 'g'], 3],
    [['main', 'y', 'f'], 2],
  ]);
  const s = buildSandwich(t, 'f');
  assert.deepEqual(s.callers.toFolded(), ['f;x;main 3', 'f;y;main 2']);
  assert.deepEqual(s.callees.toFolded(), ['f 2', 'f;g 3']);
});

test('scaled multiplies every self and total and shares the shape', () => {
  const b = new CallTreeBuilder();
  b.insertStack(['a', 'b'], 3);
  b.insertStack(['a'], 1);
  const t = b.build().scaled(10);
  assert.deepEqual(t.toFolded(), ['a 10', 'a;b 30']);
  assert.equal(t.totalValue, 40);
});
