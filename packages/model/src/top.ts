import type { CallTree } from './call-tree.js';

export interface TopFunction {
  readonly name: string;
  /** Value of samples whose stack ends in this function. */
  readonly self: number;
  /** Value of samples with this function anywhere on their stack, counted once per sample. */
  readonly total: number;
}

/**
 * Self and total per function name, sorted by self then total, largest first. A recursive
 * function is counted once per stack in its total, as pprof's `cum` does.
 */
export function selectTopFunctions(tree: CallTree): TopFunction[] {
  const self = new Float64Array(tree.names.length);
  const total = new Float64Array(tree.names.length);
  const seen = new Uint8Array(tree.names.length);
  const onPath = new Int32Array(tree.names.length);
  // Iterative DFS; a node's name counts toward `total` only at its outermost occurrence.
  const stack: number[] = [];
  for (const c of tree.children(0)) stack.push(c);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node < 0) {
      onPath[tree.nameId[~node]!]!--;
      continue;
    }
    const id = tree.nameId[node]!;
    seen[id] = 1;
    self[id] = self[id]! + tree.self[node]!;
    if (onPath[id] === 0) total[id] = total[id]! + tree.total[node]!;
    onPath[id]!++;
    stack.push(~node);
    for (const c of tree.children(node)) stack.push(c);
  }
  const out: TopFunction[] = [];
  for (let id = 1; id < tree.names.length; id++) {
    if (seen[id]) out.push({ name: tree.names[id]!, self: self[id]!, total: total[id]! });
  }
  return out.sort((a, b) => b.self - a.self || b.total - a.total || (a.name < b.name ? -1 : 1));
}
