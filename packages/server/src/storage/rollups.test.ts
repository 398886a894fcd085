import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LEVELS, planCells, type PlanState } from './rollups.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
const complete: PlanState = {
  watermarkMs: LEVELS.map(() => Infinity),
  retainedFromMs: LEVELS.map(() => -Infinity),
  maxLevel: LEVELS.length - 1,
};

test('a plan tiles the range exactly, in order, with whole cells', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 60 * DAY }), fc.integer({ min: 10_000, max: 60 * DAY }), (a, len) => {
      const start = t0 + Math.floor(a / 10_000) * 10_000;
      const end = start + Math.ceil(len / 10_000) * 10_000;
      const cells = planCells(start, end, complete);
      let at = start;
      for (const c of cells) {
        assert.equal(c.fromMs, at, 'contiguous');
        const w = LEVELS[c.level]!.widthMs;
        assert.equal(c.fromMs % w, 0);
        assert.equal(c.toMs % w, 0);
        at = c.toMs;
      }
      assert.equal(at, end);
    }),
  );
});

test('the number of cells is bounded whatever the range length', () => {
  const cellCount = (len: number): number =>
    planCells(t0 + 7 * 10_000, t0 + 7 * 10_000 + len, complete).reduce(
      (n, c) => n + (c.toMs - c.fromMs) / LEVELS[c.level]!.widthMs,
      0,
    );
  const hour = cellCount(3_600_000);
  const month = cellCount(30 * DAY);
  // Edges cost at most (6 + 10 + 6 + 24) cells per side; the middle is whole days.
  assert.ok(month <= 30 + 2 * (6 + 10 + 6 + 24), `30 d: ${month} cells`);
  assert.ok(hour <= 2 * (6 + 10 + 6), `1 h: ${hour} cells`);
});

test('cells past a level watermark come from the level below', () => {
  const state: PlanState = { ...complete, watermarkMs: [Infinity, t0 + 3_600_000, t0, t0, t0] };
  const cells = planCells(t0, t0 + 2 * 3_600_000, state);
  assert.deepEqual(cells, [
    { level: 1, fromMs: t0, toMs: t0 + 3_600_000 },
    { level: 0, fromMs: t0 + 3_600_000, toMs: t0 + 2 * 3_600_000 },
  ]);
});

test('raw only when rollups are off', () => {
  assert.deepEqual(planCells(t0, t0 + DAY, { ...complete, maxLevel: 0 }), [{ level: 0, fromMs: t0, toMs: t0 + DAY }]);
});

test('an edge whose fine data is gone is answered by the whole coarser cell', () => {
  const state: PlanState = { ...complete, retainedFromMs: [t0 + DAY, -Infinity, -Infinity, -Infinity, -Infinity] };
  const cells = planCells(t0 + 30_000, t0 + 3_600_000, state);
  assert.equal(cells[0]!.level, 1);
  assert.equal(cells[0]!.fromMs, t0, 'snapped out to the minute');
});
