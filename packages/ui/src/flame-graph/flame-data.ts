import type { DiffFlamebearer } from '@kiln/model';
import type { FlameInput, NodePath } from './types.js';

/**
 * One row of the flame graph as typed columns, nodes left to right. x is absolute, in value
 * units; in a diff it is the left x plus the right x, and total is left + right, which is how
 * Pyroscope lays a diff out: every node as wide as both sides together.
 */
export interface FlameLevel {
  readonly size: number;
  readonly x: Float64Array;
  readonly total: Float64Array;
  readonly self: Float64Array;
  /** Index into `FlameData.names`. */
  readonly name: Int32Array;
  /** Index of the parent on the level above; -1 on level 0. */
  readonly parent: Int32Array;
  /** Children of node i are `[childStart[i], childStart[i + 1])` on the level below (size + 1 entries). */
  readonly childStart: Int32Array;
  /** `totalBefore[i]` is the sum of `total[0..i)`, so a run of nodes is summed in O(1) (size + 1 entries). */
  readonly totalBefore: Float64Array;
  /** Diff only (empty in a single graph): each side's values. */
  readonly leftTotal: Float64Array;
  readonly leftSelf: Float64Array;
  readonly rightTotal: Float64Array;
  readonly rightSelf: Float64Array;
}

export interface FlameData {
  readonly names: readonly string[];
  readonly levels: readonly FlameLevel[];
  readonly diff: boolean;
  /** The root's total: numTicks, or leftTicks + rightTicks in a diff. */
  readonly total: number;
  /** Diff only (0 in a single graph): each side's total. */
  readonly leftTicks: number;
  readonly rightTicks: number;
  readonly nodeCount: number;
}

/** A node: its level (depth, root 0) and its index on that level. */
export interface NodeRef {
  readonly level: number;
  readonly index: number;
}

const EMPTY = new Float64Array(0);

/**
 * Decodes a flamebearer's delta-encoded levels into absolute columns, linking parents and
 * children by one forward sweep per level (both levels are in x order). Trusts the server's
 * layout: a node outside every parent is hung under the nearest one rather than rejected.
 */
export function decodeFlameData(fb: FlameInput, diff: boolean): FlameData {
  const stride = diff ? 7 : 4;
  const levels: FlameLevel[] = [];
  let nodeCount = 0;
  for (let d = 0; d < fb.levels.length; d++) {
    const raw = fb.levels[d]!;
    const size = Math.floor(raw.length / stride);
    if (size === 0) break;
    const x = new Float64Array(size);
    const total = new Float64Array(size);
    const self = new Float64Array(size);
    const name = new Int32Array(size);
    const totalBefore = new Float64Array(size + 1);
    const leftTotal = diff ? new Float64Array(size) : EMPTY;
    const leftSelf = diff ? new Float64Array(size) : EMPTY;
    const rightTotal = diff ? new Float64Array(size) : EMPTY;
    const rightSelf = diff ? new Float64Array(size) : EMPTY;
    let end0 = 0;
    let end1 = 0;
    for (let i = 0, o = 0; i < size; i++, o += stride) {
      const x0 = end0 + raw[o]!;
      const t0 = raw[o + 1]!;
      end0 = x0 + t0;
      if (diff) {
        const x1 = end1 + raw[o + 3]!;
        const t1 = raw[o + 4]!;
        end1 = x1 + t1;
        leftTotal[i] = t0;
        leftSelf[i] = raw[o + 2]!;
        rightTotal[i] = t1;
        rightSelf[i] = raw[o + 5]!;
        x[i] = x0 + x1;
        total[i] = t0 + t1;
        self[i] = leftSelf[i]! + rightSelf[i]!;
        name[i] = raw[o + 6]!;
      } else {
        x[i] = x0;
        total[i] = t0;
        self[i] = raw[o + 2]!;
        name[i] = raw[o + 3]!;
      }
      totalBefore[i + 1] = totalBefore[i]! + total[i]!;
    }
    const parent = new Int32Array(size).fill(-1);
    const above = levels[d - 1];
    if (above !== undefined) linkChildren(above, x, parent);
    levels.push({
      size,
      x,
      total,
      self,
      name,
      parent,
      childStart: new Int32Array(size + 1),
      totalBefore,
      leftTotal,
      leftSelf,
      rightTotal,
      rightSelf,
    });
    nodeCount += size;
  }
  const root = levels[0];
  const dfb = fb as Partial<DiffFlamebearer>;
  return {
    names: fb.names,
    levels,
    diff,
    total: root === undefined ? 0 : root.total[0]!,
    leftTicks: diff ? (dfb.leftTicks ?? root?.leftTotal[0] ?? 0) : 0,
    rightTicks: diff ? (dfb.rightTicks ?? root?.rightTotal[0] ?? 0) : 0,
    nodeCount,
  };
}

/** Sets each child's parent and fills the level above's childStart. */
function linkChildren(above: FlameLevel, x: Float64Array, parent: Int32Array): void {
  const childStart = above.childStart;
  let p = 0;
  for (let i = 0; i < x.length; i++) {
    // A child starts inside its parent; zero-width nodes sit at an edge, so move on only
    // while the next parent also starts at or before this child.
    while (p + 1 < above.size && x[i]! >= above.x[p]! + above.total[p]! && above.x[p + 1]! <= x[i]!) p++;
    parent[i] = p;
  }
  let c = 0;
  for (let n = 0; n <= above.size; n++) {
    while (c < x.length && parent[c]! < n) c++;
    childStart[n] = c;
  }
}

export function nodeName(data: FlameData, node: NodeRef): string {
  return data.names[data.levels[node.level]!.name[node.index]!] ?? '';
}

export function parentOf(data: FlameData, node: NodeRef): NodeRef | null {
  if (node.level === 0) return null;
  return { level: node.level - 1, index: data.levels[node.level]!.parent[node.index]! };
}

/** The child with the largest total, null for a leaf. */
export function heaviestChild(data: FlameData, node: NodeRef): NodeRef | null {
  const below = data.levels[node.level + 1];
  if (below === undefined) return null;
  const level = data.levels[node.level]!;
  let best = -1;
  for (let c = level.childStart[node.index]!; c < level.childStart[node.index + 1]!; c++) {
    if (best === -1 || below.total[c]! > below.total[best]!) best = c;
  }
  return best === -1 ? null : { level: node.level + 1, index: best };
}

/** Function names from the root's child down to the node; the root's path is empty. */
export function pathOf(data: FlameData, level: number, index: number): NodePath {
  const out: string[] = [];
  for (let d = level, i = index; d > 0; i = data.levels[d]!.parent[i]!, d--) {
    out.push(data.names[data.levels[d]!.name[i]!]!);
  }
  return out.reverse();
}

/** The node at the end of a path of names from the root, null when the graph has none. */
export function findByPath(data: FlameData, path: NodePath): NodeRef | null {
  if (data.levels.length === 0) return null;
  let index = 0;
  for (let d = 0; d < path.length; d++) {
    const level = data.levels[d]!;
    const below = data.levels[d + 1];
    if (below === undefined) return null;
    let found = -1;
    for (let c = level.childStart[index]!; c < level.childStart[index + 1]!; c++) {
      if (data.names[below.name[c]!] === path[d]) {
        found = c;
        break;
      }
    }
    if (found === -1) return null;
    index = found;
  }
  return { level: path.length, index };
}
