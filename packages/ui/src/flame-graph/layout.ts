import type { FlameData, FlameLevel, NodeRef } from './flame-data.js';
import { ROW_HEIGHT_PX } from './types.js';

/** What the canvas shows: a range of x in value units, and where the focused node sits. */
export interface FlameViewport {
  /** Left edge of the canvas, value units. */
  readonly start: number;
  /** Value units across the canvas' width. */
  readonly width: number;
  /** The focused node's level: levels above it hold its ancestors, drawn dimmed. */
  readonly focusLevel: number;
}

export interface FlameLayoutOptions {
  widthPx: number;
  /** Root at the bottom. */
  inverted: boolean;
  /** Consecutive nodes narrower than this (CSS px) merge into one rect; default 1. */
  minNodePx?: number;
}

/**
 * The rects of one frame as columns, level by level and left to right within a level, so hit
 * testing is a binary search. x and width are CSS px, clipped to the canvas.
 */
export interface FlameLayout {
  count: number;
  level: Int32Array;
  /** The node's index on its level; for a merged rect, the first node of the run. */
  node: Int32Array;
  /** How many nodes the rect stands for: 1 for a node drawn on its own. */
  nodes: Int32Array;
  x: Float64Array;
  width: Float64Array;
  /** Rects of level d are `[levelStart[d], levelStart[d + 1])`. */
  levelStart: Int32Array;
  rows: number;
  widthPx: number;
  inverted: boolean;
  viewport: FlameViewport;
}

/** A rect under the pointer: one node, or a run of `nodes` merged ones totalling `total`. */
export interface FlameHit extends NodeRef {
  nodes: number;
  total: number;
}

/**
 * The viewport that puts `focus` at full width (the whole graph for null). `scaleTotal` widens
 * the unfocused graph to another graph's total, so two graphs side by side share one scale.
 */
export function viewportOf(data: FlameData, focus: NodeRef | null, scaleTotal = 0): FlameViewport {
  if (focus === null || focus.level === 0) {
    return { start: 0, width: Math.max(data.total, scaleTotal) || 1, focusLevel: 0 };
  }
  const level = data.levels[focus.level]!;
  return { start: level.x[focus.index]!, width: level.total[focus.index]! || 1, focusLevel: focus.level };
}

/** Top of a level's row in CSS px. */
export function rowTop(rows: number, level: number, inverted: boolean): number {
  return (inverted ? rows - 1 - level : level) * ROW_HEIGHT_PX;
}

export function createFlameLayout(): FlameLayout {
  const capacity = 1024;
  return {
    count: 0,
    level: new Int32Array(capacity),
    node: new Int32Array(capacity),
    nodes: new Int32Array(capacity),
    x: new Float64Array(capacity),
    width: new Float64Array(capacity),
    levelStart: new Int32Array(1),
    rows: 0,
    widthPx: 0,
    inverted: false,
    viewport: { start: 0, width: 1, focusLevel: 0 },
  };
}

/**
 * Lays out one frame into `out` (reused, so an animation allocates nothing). Work is bounded
 * by what is visible, not by the node count: each level binary-searches to the viewport's left
 * edge, and a run of sub-pixel nodes is crossed by binary searches that each advance at least
 * one pixel, so a level costs O((visible nodes + width in px) × log n).
 */
export function layoutFlame(
  data: FlameData,
  viewport: FlameViewport,
  options: FlameLayoutOptions,
  out: FlameLayout = createFlameLayout(),
): FlameLayout {
  const rows = data.levels.length;
  out.count = 0;
  out.rows = rows;
  out.widthPx = options.widthPx;
  out.inverted = options.inverted;
  out.viewport = viewport;
  if (out.levelStart.length < rows + 1) out.levelStart = new Int32Array(rows + 1);
  out.levelStart.fill(0);
  if (options.widthPx <= 0 || viewport.width <= 0) return out;
  const pxPerValue = options.widthPx / viewport.width;
  const minValue = (options.minNodePx ?? 1) / pxPerValue;
  const viewEnd = viewport.start + viewport.width;
  for (let d = 0; d < rows; d++) {
    out.levelStart[d] = out.count;
    const level = data.levels[d]!;
    let i = firstEndingAfter(level, viewport.start);
    while (i < level.size && level.x[i]! < viewEnd) {
      if (level.total[i]! >= minValue) {
        push(out, viewport, pxPerValue, d, i, 1, level.x[i]!, level.x[i]! + level.total[i]!);
        i++;
        continue;
      }
      const runEnd = narrowRunEnd(level, i, minValue, viewEnd);
      const last = runEnd - 1;
      push(out, viewport, pxPerValue, d, i, runEnd - i, level.x[i]!, level.x[last]! + level.total[last]!);
      i = runEnd;
    }
  }
  out.levelStart[rows] = out.count;
  return out;
}

/**
 * The end (exclusive) of the run of narrow nodes starting at narrow node `i`. From a node at
 * x, every node that starts before x + minValue except the last one ends before that, so it is
 * narrow too; the last one is checked on its own. A gap of a pixel or more ends the run, so
 * merged rects never paint over empty space.
 */
function narrowRunEnd(level: FlameLevel, i: number, minValue: number, viewEnd: number): number {
  let p = i;
  for (;;) {
    const j = lowerBound(level.x, level.x[p]! + minValue, p + 1, level.size);
    if (level.total[j - 1]! >= minValue) return j - 1;
    if (j >= level.size || level.x[j]! >= viewEnd || level.total[j]! >= minValue) return j;
    if (level.x[j]! - (level.x[j - 1]! + level.total[j - 1]!) >= minValue) return j;
    p = j;
  }
}

function push(
  out: FlameLayout,
  viewport: FlameViewport,
  pxPerValue: number,
  level: number,
  node: number,
  nodes: number,
  start: number,
  end: number,
): void {
  if (out.count === out.level.length) grow(out);
  const x0 = Math.max(0, (start - viewport.start) * pxPerValue);
  const x1 = Math.min(out.widthPx, (end - viewport.start) * pxPerValue);
  const k = out.count++;
  out.level[k] = level;
  out.node[k] = node;
  out.nodes[k] = nodes;
  out.x[k] = x0;
  out.width[k] = Math.max(0, x1 - x0);
}

function grow(out: FlameLayout): void {
  const n = out.level.length * 2;
  const copy = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
  out.level = copy(out.level, new Int32Array(n));
  out.node = copy(out.node, new Int32Array(n));
  out.nodes = copy(out.nodes, new Int32Array(n));
  out.x = copy(out.x, new Float64Array(n));
  out.width = copy(out.width, new Float64Array(n));
}

/** First index in [lo, hi) with `a[index] >= value` (a sorted ascending), hi if none. */
function lowerBound(a: Float64Array, value: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First node whose right edge lies past `value`: nodes do not overlap, so edges are sorted. */
function firstEndingAfter(level: FlameLevel, value: number): number {
  let lo = 0;
  let hi = level.size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (level.x[mid]! + level.total[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The rect under a point in CSS px, as drawn: a rect narrower than a pixel still answers for
 * the pixel it is drawn on.
 */
export function hitTest(data: FlameData, layout: FlameLayout, xPx: number, yPx: number): FlameHit | null {
  if (yPx < 0 || xPx < 0 || xPx >= layout.widthPx) return null;
  const row = Math.floor(yPx / ROW_HEIGHT_PX);
  const level = layout.inverted ? layout.rows - 1 - row : row;
  if (level < 0 || level >= layout.rows) return null;
  let lo = layout.levelStart[level]!;
  let hi = layout.levelStart[level + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (layout.x[mid]! <= xPx) lo = mid + 1;
    else hi = mid;
  }
  const k = lo - 1;
  if (k < layout.levelStart[level]! || xPx >= layout.x[k]! + Math.max(1, layout.width[k]!)) return null;
  const index = layout.node[k]!;
  const nodes = layout.nodes[k]!;
  const before = data.levels[level]!.totalBefore;
  return { level, index, nodes, total: before[index + nodes]! - before[index]! };
}

/** A node's box in CSS px at the layout's viewport (clipped to the canvas), null when off-screen. */
export function nodeBox(
  data: FlameData,
  layout: FlameLayout,
  node: NodeRef,
): { x: number; y: number; width: number } | null {
  const level = data.levels[node.level];
  if (level === undefined || layout.viewport.width <= 0) return null;
  const pxPerValue = layout.widthPx / layout.viewport.width;
  const x0 = Math.max(0, (level.x[node.index]! - layout.viewport.start) * pxPerValue);
  const x1 = Math.min(
    layout.widthPx,
    (level.x[node.index]! + level.total[node.index]! - layout.viewport.start) * pxPerValue,
  );
  if (x1 < x0 || x0 >= layout.widthPx) return null;
  return { x: x0, y: rowTop(layout.rows, node.level, layout.inverted), width: x1 - x0 };
}
