import { CallTreeBuilder, type CallTree } from './call-tree.js';

/**
 * Merges call trees: every path's self is the sum of its selfs in the inputs. Exact for
 * integer values below 2^53, and associative and commutative up to node order (compare trees
 * with `toFolded()`).
 */
export function mergeCallTrees(trees: readonly CallTree[]): CallTree {
  const builder = new CallTreeBuilder();
  for (const tree of trees) builder.addTree(tree);
  return builder.build();
}
