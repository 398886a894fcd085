import { CallTreeBuilder, OTHER_NAME } from './call-tree.js';
import type { DiffTree } from './diff.js';
import {
  assembleFlamebearerTree,
  decodeFlamebearerLevels,
  type DiffFlamebearer,
  type FlamebearerOptions,
} from './flamebearer.js';
import { selectKeptNodes } from './trim.js';

/**
 * Encodes a diff as Pyroscope's "double" flamebearer. With `maxNodes`, nodes are ranked by
 * the larger of their left and right totals, as Pyroscope does, and the rest of each kept
 * node's children go into an `other` node on both sides.
 */
export function encodeDiffFlamebearer(diff: DiffTree, options: FlamebearerOptions = {}): DiffFlamebearer {
  const d = options.maxNodes === undefined ? diff : trimDiffTree(diff, options.maxNodes);
  const t = d.tree;
  const names: string[] = [];
  const nameIndex = new Int32Array(t.names.length).fill(-1);
  const levels: number[][] = [];
  let maxSelf = 0;
  const work: number[] = [0, 0, 0, 0];
  while (work.length > 0) {
    const depth = work.pop()!;
    let xr = work.pop()!;
    let xl = work.pop()!;
    const node = work.pop()!;
    const id = t.nameId[node]!;
    if (nameIndex[id] === -1) {
      nameIndex[id] = names.length;
      names.push(node === 0 ? 'total' : t.names[id]!);
    }
    const ls = d.leftSelf[node]!;
    const rs = d.rightSelf[node]!;
    maxSelf = Math.max(maxSelf, ls, rs);
    (levels[depth] ??= []).push(nameIndex[id]!, rs, d.rightTotal[node]!, xr, ls, d.leftTotal[node]!, xl);
    xl += ls;
    xr += rs;
    for (const c of t.children(node)) {
      work.push(c, xl, xr, depth + 1);
      xl += d.leftTotal[c]!;
      xr += d.rightTotal[c]!;
    }
  }
  for (const level of levels) {
    level.reverse();
    for (const col of [0, 3]) {
      let prev = 0;
      for (let i = col; i < level.length; i += 7) {
        const x = level[i]!;
        level[i] = x - prev;
        prev = x + level[i + 1]!;
      }
    }
  }
  const leftTicks = d.leftTotal[0]!;
  const rightTicks = d.rightTotal[0]!;
  return { names, levels, numTicks: leftTicks + rightTicks, maxSelf, leftTicks, rightTicks };
}

export function decodeDiffFlamebearer(fb: DiffFlamebearer): DiffTree {
  const nodes = decodeFlamebearerLevels(fb, 7);
  const self = Float64Array.from(nodes.map((n) => n.self0 + n.self1));
  const tree = assembleFlamebearerTree(fb, nodes, self);
  const leftSelf = Float64Array.from(nodes.map((n) => n.self0));
  const rightSelf = Float64Array.from(nodes.map((n) => n.self1));
  return {
    tree,
    leftSelf,
    rightSelf,
    leftTotal: totalsFromSelf(tree.parent, leftSelf),
    rightTotal: totalsFromSelf(tree.parent, rightSelf),
  };
}

/** Trims a diff to `maxNodes` non-root nodes, ranking by max(left total, right total). */
export function trimDiffTree(diff: DiffTree, maxNodes: number): DiffTree {
  const t = diff.tree;
  if (maxNodes < 1 || t.size - 1 <= maxNodes) return diff;
  const weight = new Float64Array(t.size);
  for (let i = 0; i < t.size; i++) weight[i] = Math.max(diff.leftTotal[i]!, diff.rightTotal[i]!);
  const keep = selectKeptNodes(t, weight, maxNodes);
  const builder = new CallTreeBuilder();
  const ids = t.names.map((n) => builder.intern(n));
  const other = builder.intern(OTHER_NAME);
  const map = new Int32Array(t.size).fill(-1);
  map[0] = 0;
  const left: number[] = [diff.leftSelf[0]!];
  const right: number[] = [diff.rightSelf[0]!];
  const add = (node: number, l: number, r: number): void => {
    left[node] = (left[node] ?? 0) + l;
    right[node] = (right[node] ?? 0) + r;
  };
  for (let i = 1; i < t.size; i++) {
    const p = map[t.parent[i]!]!;
    if (p === -1) continue;
    if (keep[i]) {
      map[i] = builder.child(p, ids[t.nameId[i]!]!);
      add(map[i]!, diff.leftSelf[i]!, diff.rightSelf[i]!);
    } else {
      add(builder.child(p, other), diff.leftTotal[i]!, diff.rightTotal[i]!);
    }
  }
  const leftSelf = new Float64Array(builder.size);
  const rightSelf = new Float64Array(builder.size);
  for (let i = 0; i < builder.size; i++) {
    leftSelf[i] = left[i] ?? 0;
    rightSelf[i] = right[i] ?? 0;
    builder.addSelf(i, leftSelf[i]! + rightSelf[i]!);
  }
  const tree = builder.build();
  return {
    tree,
    leftSelf,
    rightSelf,
    leftTotal: totalsFromSelf(tree.parent, leftSelf),
    rightTotal: totalsFromSelf(tree.parent, rightSelf),
  };
}

function totalsFromSelf(parent: Int32Array, self: Float64Array): Float64Array {
  const total = Float64Array.from(self);
  for (let i = parent.length - 1; i > 0; i--) total[parent[i]!] = total[parent[i]!]! + total[i]!;
  return total;
}
