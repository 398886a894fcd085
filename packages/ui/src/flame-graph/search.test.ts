import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallTreeBuilder, encodeFlamebearer } from '@kiln/model';
import { decodeFlameData } from './flame-data.js';
import { buildSearchMask, searchShare } from './search.js';

function graph(stacks: [string, number][]) {
  const b = new CallTreeBuilder();
  for (const [stack, value] of stacks) b.insertStack(stack.split(';'), value);
  return decodeFlameData(encodeFlamebearer(b.build()), false);
}

const data = graph([
  ['main;json.Marshal;json.encode;json.Marshal', 10],
  ['main;json.Marshal;alloc', 5],
  ['main;http.serve;json.Marshal', 20],
  ['main;http.serve;read', 40],
  ['gc', 25],
]);

test('a match under a matching ancestor is counted once', () => {
  // json.Marshal at depth 2 (total 15, with a nested json.Marshal of 10) and under http.serve (20).
  assert.deepEqual(searchShare(data, 'marshal'), { matchedTotal: 35, total: 100, nodes: 3 });
  // json.encode is inside the first json.Marshal: matching both adds nothing.
  assert.deepEqual(searchShare(data, 'json.'), { matchedTotal: 35, total: 100, nodes: 4 });
});

test('search is a case-insensitive substring; empty matches nothing; the root never matches', () => {
  assert.deepEqual(searchShare(data, 'HTTP'), { matchedTotal: 60, total: 100, nodes: 1 });
  assert.deepEqual(searchShare(data, '  '), { matchedTotal: 0, total: 100, nodes: 0 });
  assert.deepEqual(searchShare(data, 'tot'), { matchedTotal: 0, total: 100, nodes: 0 });
  assert.equal(buildSearchMask(data, ''), null);
});

test('the mask counts matches per level, for merged runs', () => {
  const mask = buildSearchMask(data, 'marshal')!;
  const level2 = data.levels[2]!;
  const before = mask.matchesBefore[2]!;
  assert.equal(before[level2.size], 1);
  assert.equal(mask.matchesBefore[3]![data.levels[3]!.size], 1);
  assert.equal(mask.matchesBefore[0]![1], 0);
});
