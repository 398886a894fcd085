import { CallTreeBuilder, OTHER_NAME, type CallTree } from './call-tree.js';

/**
 * Cuts a tree down to at most `maxNodes` nodes besides the root, keeping the nodes with the
 * largest totals. What is cut under a kept node goes into one child of it named `other`
 * (self = total = the cut totals), so every kept node's total and the root's total are
 * unchanged. The `other` nodes count against `maxNodes`.
 *
 * `maxNodes` below 1 means no limit, as Pyroscope's `max_nodes`.
 *
 * Ties are broken by position (parents before children), so the kept set always includes the
 * ancestors of every kept node.
 */
export function trimCallTree(tree: CallTree, maxNodes: number): CallTree {
  if (maxNodes < 1 || tree.size - 1 <= maxNodes) return tree;
  return rebuild(tree, selectKeptNodes(tree, tree.total, maxNodes));
}

/**
 * Marks which nodes a trim to `maxNodes` keeps, ranking nodes by `weight` (which, like a
 * total, must never grow from a parent to its child). The root is always kept.
 */
export function selectKeptNodes(tree: CallTree, weight: Float64Array, maxNodes: number): Uint8Array {
  let budget = Math.max(0, maxNodes);
  for (;;) {
    const keep = selectLargest(tree, weight, budget);
    const others = countOthers(tree, keep);
    if (budget + others <= maxNodes || budget === 0) return keep;
    budget = Math.max(0, Math.min(budget - 1, maxNodes - others));
  }
}

/** Marks the root and the `k` heaviest other nodes (ancestor-closed). */
function selectLargest(tree: CallTree, weight: Float64Array, k: number): Uint8Array {
  const keep = new Uint8Array(tree.size);
  keep[0] = 1;
  if (k === 0) return keep;
  const threshold = kthLargest(tree, weight, k);
  let above = 0;
  for (let i = 1; i < tree.size; i++) if (weight[i]! > threshold) above++;
  let tiesLeft = k - above;
  for (let i = 1; i < tree.size; i++) {
    const t = weight[i]!;
    if (t > threshold || (t === threshold && tiesLeft-- > 0)) keep[i] = keep[tree.parent[i]!]!;
  }
  return keep;
}

/**
 * The k-th largest total among non-root nodes. A min-heap of size k over a walk from the root
 * that stops descending below the heap's minimum: totals never grow going down a tree.
 */
function kthLargest(tree: CallTree, weight: Float64Array, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  const stack: number[] = Array.from(tree.children(0));
  while (stack.length > 0) {
    const node = stack.pop()!;
    const t = weight[node]!;
    if (size < k) {
      heapPush(heap, size++, t);
    } else if (t > heap[0]!) {
      heapReplaceTop(heap, size, t);
    } else {
      continue;
    }
    for (const c of tree.children(node)) stack.push(c);
  }
  return size < k ? -Infinity : heap[0]!;
}

function countOthers(tree: CallTree, keep: Uint8Array): number {
  const hasOther = new Uint8Array(tree.size);
  let n = 0;
  for (let i = 1; i < tree.size; i++) {
    const p = tree.parent[i]!;
    if (!keep[i] && keep[p] && !hasOther[p]) {
      hasOther[p] = 1;
      n++;
    }
  }
  return n;
}

function rebuild(tree: CallTree, keep: Uint8Array): CallTree {
  const builder = new CallTreeBuilder();
  const ids = tree.names.map((n) => builder.intern(n));
  const other = builder.intern(OTHER_NAME);
  const map = new Int32Array(tree.size).fill(-1);
  map[0] = 0;
  builder.addSelf(0, tree.self[0]!);
  for (let i = 1; i < tree.size; i++) {
    const p = map[tree.parent[i]!]!;
    if (p === -1) continue;
    if (keep[i]) {
      map[i] = builder.child(p, ids[tree.nameId[i]!]!);
      builder.addSelf(map[i]!, tree.self[i]!);
    } else {
      builder.addSelf(builder.child(p, other), tree.total[i]!);
    }
  }
  return builder.build();
}

function heapPush(h: Float64Array, size: number, v: number): void {
  let i = size;
  h[i] = v;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= h[i]!) break;
    [h[p], h[i]] = [h[i]!, h[p]!];
    i = p;
  }
}

function heapReplaceTop(h: Float64Array, size: number, v: number): void {
  h[0] = v;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < size && h[l]! < h[m]!) m = l;
    if (r < size && h[r]! < h[m]!) m = r;
    if (m === i) return;
    [h[m], h[i]] = [h[i]!, h[m]!];
    i = m;
  }
}
