import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallTreeBuilder } from './call-tree.js';
import { diffCallTrees } from './diff.js';
import { decodeFlamebearer, encodeFlamebearer } from './flamebearer.js';
import { decodeDiffFlamebearer, encodeDiffFlamebearer } from './flamebearer-diff.js';

function tree(lines: [string, number][]) {
  const b = new CallTreeBuilder();
  for (const [stack, v] of lines) b.insertStack(stack.split(';'), v);
  return b.build();
}

test('single flamebearer matches Pyroscope for a;b 3, a 1, c 2', () => {
  const fb = encodeFlamebearer(
    tree([
      ['a;b', 3],
      ['a', 1],
      ['c', 2],
    ]),
  );
  assert.deepEqual(fb.names, ['total', 'c', 'a', 'b']);
  assert.deepEqual(fb.levels, [
    [0, 6, 0, 0],
    [0, 4, 1, 2, 0, 2, 2, 1],
    [1, 3, 3, 3],
  ]);
  assert.equal(fb.numTicks, 6);
  assert.equal(fb.maxSelf, 3);
});

test('single flamebearer decodes back to the same tree', () => {
  const t = tree([
    ['a;b;c', 5],
    ['a;b', 2],
    ['a;d', 7],
    ['e', 1],
    ['e;a;b', 4],
  ]);
  const back = decodeFlamebearer(encodeFlamebearer(t));
  assert.deepEqual(back.toFolded(), t.toFolded());
  assert.deepEqual(encodeFlamebearer(back), encodeFlamebearer(t));
});

test('maxNodes keeps totals exact through an other node', () => {
  const t = tree([
    ['a;b', 10],
    ['a;c', 1],
    ['a;d', 1],
    ['e', 1],
  ]);
  const fb = encodeFlamebearer(t, { maxNodes: 3 });
  assert.equal(fb.numTicks, 13);
  const back = decodeFlamebearer(fb);
  assert.ok(back.size - 1 <= 3, `kept ${back.size - 1} nodes`);
  assert.equal(back.totalValue, 13);
  assert.ok(back.toFolded().some((l) => l.includes('other')));
});

test('diff flamebearer has 7 values per node with independent x columns', () => {
  const left = tree([
    ['a;b', 3],
    ['c', 2],
  ]);
  const right = tree([
    ['a;b', 1],
    ['a', 4],
  ]);
  const fb = encodeDiffFlamebearer(diffCallTrees(left, right));
  assert.equal(fb.leftTicks, 5);
  assert.equal(fb.rightTicks, 5);
  assert.equal(fb.numTicks, 10);
  assert.deepEqual(fb.names, ['total', 'c', 'a', 'b']);
  assert.deepEqual(fb.levels, [
    [0, 5, 0, 0, 5, 0, 0],
    [0, 3, 0, 0, 5, 4, 2, 0, 2, 2, 0, 0, 0, 1],
    [0, 3, 3, 4, 1, 1, 3],
  ]);
  const back = decodeDiffFlamebearer(fb);
  assert.equal(back.leftTotal[0], 5);
  assert.equal(back.rightTotal[0], 5);
  assert.deepEqual(encodeDiffFlamebearer(back), fb);
});
