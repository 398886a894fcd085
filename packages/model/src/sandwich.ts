import { CallTreeBuilder, type CallTree } from './call-tree.js';

export interface Sandwich {
  /**
   * Who calls the function: rooted at the function, each level one caller further up. A
   * node's total is the function's total reached through that chain of callers.
   */
  readonly callers: CallTree;
  /** What the function calls: every occurrence's subtree merged under one node. */
  readonly callees: CallTree;
}

/**
 * The sandwich view of one function. Only outermost occurrences count (a recursive call
 * inside the function is part of its callees), so the function's total is the same in both
 * halves and equals its total in `selectTopFunctions`.
 */
export function buildSandwich(tree: CallTree, name: string): Sandwich {
  const callers = new CallTreeBuilder();
  const callees = new CallTreeBuilder();
  const target = tree.names.indexOf(name);
  if (target > 0) {
    const calleeIds = tree.names.map((n) => callees.intern(n));
    const callerIds = tree.names.map((n) => callers.intern(n));
    const stack: number[] = Array.from(tree.children(0));
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (tree.nameId[node] !== target) {
        for (const c of tree.children(node)) stack.push(c);
        continue;
      }
      let up = callers.child(0, callerIds[target]!);
      for (let p = tree.parent[node]!; p > 0; p = tree.parent[p]!) up = callers.child(up, callerIds[tree.nameId[p]!]!);
      callers.addSelf(up, tree.total[node]!);
      copySubtree(tree, node, callees, 0, calleeIds);
    }
  }
  return { callers: callers.build(), callees: callees.build() };
}

function copySubtree(tree: CallTree, from: number, into: CallTreeBuilder, parent: number, ids: number[]): void {
  const work: [number, number][] = [[from, parent]];
  while (work.length > 0) {
    const [node, at] = work.pop()!;
    const here = into.child(at, ids[tree.nameId[node]!]!);
    into.addSelf(here, tree.self[node]!);
    for (const c of tree.children(node)) work.push([c, here]);
  }
}
