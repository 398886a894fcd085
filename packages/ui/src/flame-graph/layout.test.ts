import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallTreeBuilder, encodeFlamebearer, type Flamebearer } from '@kiln/model';
import { decodeFlameData, findByPath, type FlameData } from './flame-data.js';
import { hitTest, layoutFlame, nodeBox, viewportOf, type FlameLayout } from './layout.js';
import { ROW_HEIGHT_PX } from './types.js';

function graph(stacks: [string, number][]): FlameData {
  const b = new CallTreeBuilder();
  for (const [stack, value] of stacks) b.insertStack(stack.split(';'), value);
  return decodeFlameData(encodeFlamebearer(b.build()), false);
}

/** The rects of one level as [x, width, nodes] triples. */
function rectsOf(layout: FlameLayout, level: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let k = layout.levelStart[level]!; k < layout.levelStart[level + 1]!; k++) {
    out.push([layout.x[k]!, layout.width[k]!, layout.nodes[k]!]);
  }
  return out;
}

const near = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} is not ${expected}`);

// `p` has 400 children of 1 (0.1 px each at 1,000 px for 4,000), a wide one of 600, 400 more of
// 1; `q` is 2,600 wide.
function mixed(): FlameData {
  const stacks: [string, number][] = [['q', 2_600]];
  for (let i = 0; i < 400; i++) stacks.push([`p;a${String(i).padStart(3, '0')}`, 1]);
  stacks.push(['p;m', 600]);
  for (let i = 0; i < 400; i++) stacks.push([`p;z${String(i).padStart(3, '0')}`, 1]);
  return graph(stacks);
}

test('narrow nodes merge into rects that together span exactly their parent', () => {
  const data = mixed();
  assert.equal(data.total, 4_000);
  const layout = layoutFlame(data, viewportOf(data, null), { widthPx: 1_000, inverted: false });
  const parent = nodeBox(data, layout, findByPath(data, ['p'])!)!;
  near(parent.width, 350, 'parent width');
  const children = rectsOf(layout, 2);
  assert.deepEqual(
    children.map(([, , nodes]) => nodes),
    [400, 1, 400],
  );
  near(children[0]![0], parent.x, 'first rect starts at the parent');
  near(
    children.reduce((sum, [, w]) => sum + w, 0),
    parent.width,
    'drawn width',
  );
});

test('a million sub-pixel nodes lay out as a handful of rects', () => {
  // Hand-made: level 1 holds 1,000,000 contiguous nodes of 1 to 3, under a root of their sum.
  const n = 1_000_000;
  const level: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = 1 + (i % 3);
    level.push(0, v, v, 1);
    total += v;
  }
  const fb: Flamebearer = { names: ['total', 'f'], levels: [[0, total, 0, 0], level], numTicks: total, maxSelf: 3 };
  const data = decodeFlameData(fb, false);
  const layout = layoutFlame(data, viewportOf(data, null), { widthPx: 1_280, inverted: false });
  assert.deepEqual(rectsOf(layout, 1), [[0, 1_280, n]]);
  const hit = hitTest(data, layout, 640, ROW_HEIGHT_PX * 1.5)!;
  assert.equal(hit.nodes, n);
  assert.equal(hit.total, total);
});

test('a gap of a pixel or more splits a merged run; a narrower one does not', () => {
  // 50 children of 1 under a, then b's self (which comes before b's children), then 50 of 1
  // under b; at 0.5 px per unit every child is narrow.
  for (const [bSelf, runs] of [
    [10, [50, 50]],
    [1, [100]],
  ] as const) {
    const stacks: [string, number][] = [['b', bSelf]];
    for (let i = 0; i < 50; i++) stacks.push([`a;f${i}`, 1], [`b;g${i}`, 1]);
    const data = graph(stacks);
    const layout = layoutFlame(data, viewportOf(data, null), { widthPx: (100 + bSelf) / 2, inverted: false });
    assert.deepEqual(
      rectsOf(layout, 2).map(([, , nodes]) => nodes),
      runs,
      `b's self of ${bSelf / 2} px`,
    );
  }
});

test('hit testing finds nodes, merged runs, and nothing outside', () => {
  const data = mixed();
  const layout = layoutFlame(data, viewportOf(data, null, 8_000), { widthPx: 1_000, inverted: false });
  const q = findByPath(data, ['q'])!;
  const qBox = nodeBox(data, layout, q)!;
  near(qBox.width, (2_600 / 8_000) * 1_000, 'scaleTotal halves the widths');
  const hit = hitTest(data, layout, qBox.x + qBox.width / 2, ROW_HEIGHT_PX + 5)!;
  assert.deepEqual(
    { level: hit.level, index: hit.index, nodes: hit.nodes, total: hit.total },
    { ...q, nodes: 1, total: 2_600 },
  );
  const p = nodeBox(data, layout, findByPath(data, ['p'])!)!;
  const merged = hitTest(data, layout, p.x + 1, 2 * ROW_HEIGHT_PX + 5)!;
  assert.equal(merged.nodes, 400);
  assert.equal(merged.total, 400);
  assert.equal(hitTest(data, layout, 900, 5), null, 'right of the graph, at the shared scale');
  assert.equal(hitTest(data, layout, 10, 3 * ROW_HEIGHT_PX + 5), null, 'below the deepest row');
});

test('focus puts the node at full width with its ancestors above, and nothing else', () => {
  const data = graph([
    ['a;b;c', 10],
    ['a;b;d', 30],
    ['a;e', 60],
    ['f', 100],
  ]);
  const b = findByPath(data, ['a', 'b'])!;
  const viewport = viewportOf(data, b);
  assert.equal(viewport.focusLevel, 2);
  const layout = layoutFlame(data, viewport, { widthPx: 800, inverted: false });
  assert.deepEqual(rectsOf(layout, 0), [[0, 800, 1]]);
  assert.deepEqual(rectsOf(layout, 1), [[0, 800, 1]], 'a, the ancestor, alone at full width');
  assert.deepEqual(rectsOf(layout, 2), [[0, 800, 1]], 'b, the focus');
  assert.deepEqual(
    rectsOf(layout, 3).map(([x, w]) => [x, w]),
    [
      [0, 200],
      [200, 600],
    ],
  );
  const hit = hitTest(data, layout, 400, 1 * ROW_HEIGHT_PX + 1)!;
  assert.deepEqual([hit.level, hit.index], [1, findByPath(data, ['a'])!.index]);
});

test('inverted puts the root on the bottom row', () => {
  const data = graph([
    ['a;b', 1],
    ['c', 1],
  ]);
  const layout = layoutFlame(data, viewportOf(data, null), { widthPx: 100, inverted: true });
  assert.equal(layout.rows, 3);
  assert.equal(nodeBox(data, layout, { level: 0, index: 0 })!.y, 2 * ROW_HEIGHT_PX);
  assert.equal(nodeBox(data, layout, findByPath(data, ['a', 'b'])!)!.y, 0);
  assert.deepEqual(hitTest(data, layout, 50, 2 * ROW_HEIGHT_PX + 9)!.level, 0);
  const top = hitTest(data, layout, 10, 9)!;
  assert.deepEqual([top.level, top.index], [2, 0]);
  assert.equal(hitTest(data, layout, 90, 9), null, 'c has no child');
});
