import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import {
  buildCallTree,
  CallTreeBuilder,
  diffCallTrees,
  encodeDiffFlamebearer,
  encodeFlamebearer,
  type CallTree,
} from '@kiln/model';
import { decodeFlameData, findByPath, heaviestChild, parentOf, pathOf, type FlameData } from './flame-data.js';

// testdata/go/cpu.pb.gz: a Go 1.19 CPU profile of a load generator (testdata/go/README.md).
function goCpuTree(): CallTree {
  const profile = parsePprof(readFileSync(new URL('../../../../testdata/go/cpu.pb.gz', import.meta.url)));
  assert.ok(profile !== null);
  return buildCallTree(profile);
}

/** Every node's x lies inside its parent's range, and children plus self make up the total. */
function assertNested(data: FlameData): void {
  for (let d = 1; d < data.levels.length; d++) {
    const level = data.levels[d]!;
    const above = data.levels[d - 1]!;
    for (let i = 0; i < level.size; i++) {
      const p = level.parent[i]!;
      assert.ok(level.x[i]! >= above.x[p]! && level.x[i]! + level.total[i]! <= above.x[p]! + above.total[p]!);
    }
  }
  for (let d = 0; d + 1 < data.levels.length; d++) {
    const level = data.levels[d]!;
    const below = data.levels[d + 1]!;
    for (let i = 0; i < level.size; i++) {
      let sum = level.self[i]!;
      for (let c = level.childStart[i]!; c < level.childStart[i + 1]!; c++) sum += below.total[c]!;
      assert.equal(sum, level.total[i]!, `level ${d} node ${i}`);
    }
  }
}

test('decodes a real Go CPU profile: every tree node is found by its path with its self and total', () => {
  const tree = goCpuTree();
  const data = decodeFlameData(encodeFlamebearer(tree), false);
  assert.equal(data.nodeCount, tree.size);
  assert.equal(data.total, tree.totalValue);
  for (let node = 1; node < tree.size; node++) {
    const path = tree.path(node);
    const ref = findByPath(data, path);
    assert.ok(ref !== null, `no node at ${path.join(';')}`);
    assert.equal(ref.level, path.length);
    assert.equal(data.levels[ref.level]!.total[ref.index], tree.total[node]);
    assert.equal(data.levels[ref.level]!.self[ref.index], tree.self[node]);
    assert.deepEqual(pathOf(data, ref.level, ref.index), path);
  }
  assertNested(data);
});

test('decodes a diff: each side per node, laid out at left + right', () => {
  const left = goCpuTree();
  const b = new CallTreeBuilder();
  b.insertStack(['main.main', 'main.newWork'], 5_000_000);
  b.insertStack(['runtime.gcBgMarkWorker'], 2_000_000);
  const right = diffCallTrees(left, b.build()).tree;
  const diff = diffCallTrees(left, right);
  const fb = encodeDiffFlamebearer(diff);
  const data = decodeFlameData(fb, true);
  assert.equal(data.leftTicks, left.totalValue);
  assert.equal(data.rightTicks, right.totalValue);
  assert.equal(data.total, left.totalValue + right.totalValue);
  for (let node = 1; node < diff.tree.size; node++) {
    const ref = findByPath(data, diff.tree.path(node));
    assert.ok(ref !== null);
    const level = data.levels[ref.level]!;
    assert.equal(level.leftTotal[ref.index], diff.leftTotal[node]);
    assert.equal(level.rightTotal[ref.index], diff.rightTotal[node]);
    assert.equal(level.rightSelf[ref.index], diff.rightSelf[node]);
    assert.equal(level.total[ref.index], diff.leftTotal[node]! + diff.rightTotal[node]!);
  }
  const grown = findByPath(data, ['main.main', 'main.newWork'])!;
  assert.equal(data.levels[grown.level]!.leftTotal[grown.index], 0);
  assert.equal(data.levels[grown.level]!.rightTotal[grown.index], 5_000_000);
  assertNested(data);
});

test('parent, heaviest child and missing paths', () => {
  const b = new CallTreeBuilder();
  b.insertStack(['a', 'b'], 3);
  b.insertStack(['a', 'c'], 5);
  b.insertStack(['d'], 1);
  const data = decodeFlameData(encodeFlamebearer(b.build()), false);
  const a = findByPath(data, ['a'])!;
  assert.deepEqual(pathOf(data, heaviestChild(data, a)!.level, heaviestChild(data, a)!.index), ['a', 'c']);
  assert.deepEqual(parentOf(data, findByPath(data, ['a', 'b'])!), a);
  assert.equal(parentOf(data, { level: 0, index: 0 }), null);
  assert.equal(heaviestChild(data, findByPath(data, ['d'])!), null);
  assert.equal(findByPath(data, ['a', 'x']), null);
  assert.deepEqual(findByPath(data, []), { level: 0, index: 0 });
});

test('an empty flamebearer decodes to no levels', () => {
  const data = decodeFlameData({ names: ['total'], levels: [], numTicks: 0, maxSelf: 0 }, false);
  assert.equal(data.levels.length, 0);
  assert.equal(data.total, 0);
  assert.equal(findByPath(data, []), null);
});
