import { CallTreeBuilder, type CallTree } from './call-tree.js';

/**
 * Two call trees aligned on one shape: `tree` holds every path found in either side (its
 * self and total are left + right), and the four columns hold each side's values per node,
 * 0 where a side lacks the path. Left is the baseline, right the comparison.
 */
export interface DiffTree {
  readonly tree: CallTree;
  readonly leftSelf: Float64Array;
  readonly leftTotal: Float64Array;
  readonly rightSelf: Float64Array;
  readonly rightTotal: Float64Array;
}

export function diffCallTrees(left: CallTree, right: CallTree): DiffTree {
  const builder = new CallTreeBuilder();
  const mapLeft = builder.addTree(left);
  const mapRight = builder.addTree(right);
  const tree = builder.build();
  const leftSelf = new Float64Array(tree.size);
  const leftTotal = new Float64Array(tree.size);
  const rightSelf = new Float64Array(tree.size);
  const rightTotal = new Float64Array(tree.size);
  for (let i = 0; i < left.size; i++) {
    leftSelf[mapLeft[i]!] = left.self[i]!;
    leftTotal[mapLeft[i]!] = left.total[i]!;
  }
  for (let i = 0; i < right.size; i++) {
    rightSelf[mapRight[i]!] = right.self[i]!;
    rightTotal[mapRight[i]!] = right.total[i]!;
  }
  return { tree, leftSelf, leftTotal, rightSelf, rightTotal };
}

/** Change of one node's total from left to right, each side first scaled to its own total. */
export function diffShare(diff: DiffTree, node: number): number {
  const l = diff.leftTotal[0]! === 0 ? 0 : diff.leftTotal[node]! / diff.leftTotal[0]!;
  const r = diff.rightTotal[0]! === 0 ? 0 : diff.rightTotal[node]! / diff.rightTotal[0]!;
  return r - l;
}
