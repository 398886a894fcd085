import { Growable } from './growable.js';

/** The name of the root of every call tree, as in Pyroscope's flamebearer (`names[0]`). */
export const ROOT_NAME = 'total';
/** The name of the node that holds what `trimCallTree` cut, as in Pyroscope. */
export const OTHER_NAME = 'other';

/**
 * A call tree of function names: node 0 is the root (`total`), every other node is one frame
 * reached by one path from the root. `self` is the value of samples whose stack ends at the
 * node; `total` is self plus the totals of its children.
 *
 * Immutable once built. A parent's index is always lower than its children's, so a reverse
 * pass over indices visits children before parents. Children are kept sorted by name (byte
 * order of their UTF-16 code units), the order Pyroscope's flamebearer lays them out in.
 */
export class CallTree {
  constructor(
    readonly names: readonly string[],
    readonly parent: Int32Array,
    readonly nameId: Uint32Array,
    readonly self: Float64Array,
    readonly total: Float64Array,
    /** Children of node `i` are `childIndex[childStart[i] .. childStart[i + 1])`. */
    readonly childStart: Uint32Array,
    readonly childIndex: Uint32Array,
  ) {}

  get size(): number {
    return this.parent.length;
  }

  /** Sum of all samples: the root's total. */
  get totalValue(): number {
    return this.total[0]!;
  }

  name(node: number): string {
    return this.names[this.nameId[node]!]!;
  }

  children(node: number): Uint32Array {
    return this.childIndex.subarray(this.childStart[node]!, this.childStart[node + 1]!);
  }

  /** Names from the root's first child down to `node`. */
  path(node: number): string[] {
    const out: string[] = [];
    for (let n = node; n > 0; n = this.parent[n]!) out.push(this.name(n));
    return out.reverse();
  }

  /** Folded lines `a;b;c value`, one per node with self > 0, sorted: a canonical text form. */
  toFolded(): string[] {
    const lines: string[] = [];
    for (let i = 1; i < this.size; i++) {
      if (this.self[i] !== 0) lines.push(`${this.path(i).join(';')} ${this.self[i]}`);
    }
    return lines.sort();
  }
}

/**
 * Builds a CallTree by inserting stacks. Nodes are found through an open-addressing hash on
 * (parent, name), which keeps inserting at a few tens of nanoseconds per frame even under a
 * root with thousands of children.
 *
 * @example
 *   const b = new CallTreeBuilder();
 *   b.insertStack(['main', 'work'], 3);
 *   const tree = b.build(); // total 3
 */
export class CallTreeBuilder {
  private readonly names: string[] = [ROOT_NAME];
  private readonly nameIndex = new Map<string, number>([[ROOT_NAME, 0]]);
  private readonly parent = new Growable(Int32Array, 1024);
  private readonly nameId = new Growable(Uint32Array, 1024);
  private readonly self = new Growable(Float64Array, 1024);
  private slots = new Int32Array(2048).fill(-1);
  private mask = 2047;

  constructor() {
    this.parent.push(-1);
    this.nameId.push(0);
    this.self.push(0);
  }

  get size(): number {
    return this.parent.length;
  }

  /** The id of a name in the tree being built; the root's name `total` is id 0. */
  intern(name: string): number {
    let id = this.nameIndex.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, id);
    }
    return id;
  }

  /** The child of `parent` with name id `nameId`, created when missing. */
  child(parent: number, nameId: number): number {
    let slot = hash(parent, nameId) & this.mask;
    for (;;) {
      const node = this.slots[slot]!;
      if (node === -1) break;
      if (this.parent.get(node) === parent && this.nameId.get(node) === nameId) return node;
      slot = (slot + 1) & this.mask;
    }
    const node = this.parent.length;
    this.parent.push(parent);
    this.nameId.push(nameId);
    this.self.push(0);
    this.slots[slot] = node;
    if (node * 2 > this.mask) this.rehash();
    return node;
  }

  addSelf(node: number, value: number): void {
    this.self.add(node, value);
  }

  /** Inserts one stack, root first, adding `value` to the self of its last frame. */
  insertStack(namesRootFirst: readonly string[], value: number): number {
    let node = 0;
    for (const name of namesRootFirst) node = this.child(node, this.intern(name));
    this.self.add(node, value);
    return node;
  }

  /**
   * Adds every node of `tree` (scaled by `factor`) and returns, for each of its nodes, the
   * node it landed on here.
   */
  addTree(tree: CallTree, factor = 1): Int32Array {
    const map = new Int32Array(tree.size);
    const ids = new Int32Array(tree.names.length);
    for (let i = 0; i < ids.length; i++) ids[i] = this.intern(tree.names[i]!);
    map[0] = 0;
    this.self.add(0, tree.self[0]! * factor);
    for (let i = 1; i < tree.size; i++) {
      const node = this.child(map[tree.parent[i]!]!, ids[tree.nameId[i]!]!);
      map[i] = node;
      this.self.add(node, tree.self[i]! * factor);
    }
    return map;
  }

  build(): CallTree {
    return assembleCallTree(this.names, this.parent.finish(), this.nameId.finish(), this.self.finish());
  }

  private rehash(): void {
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    for (let node = 1; node < this.parent.length; node++) {
      let slot = hash(this.parent.get(node), this.nameId.get(node)) & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = node;
    }
  }
}

function hash(parent: number, nameId: number): number {
  let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(nameId + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

/**
 * Makes a CallTree from parent/name/self columns whose parents precede their children:
 * computes totals and the children lists, sorted by name.
 */
export function assembleCallTree(
  names: readonly string[],
  parent: Int32Array,
  nameId: Uint32Array,
  self: Float64Array,
): CallTree {
  const size = parent.length;
  const total = Float64Array.from(self);
  const childCount = new Uint32Array(size + 1);
  for (let i = size - 1; i > 0; i--) {
    const p = parent[i]!;
    total[p] = total[p]! + total[i]!;
    childCount[p]!++;
  }
  const childStart = new Uint32Array(size + 1);
  for (let i = 0; i < size; i++) childStart[i + 1] = childStart[i]! + childCount[i]!;
  const fill = childStart.slice(0, size);
  const childIndex = new Uint32Array(Math.max(size - 1, 0));
  for (let i = 1; i < size; i++) childIndex[fill[parent[i]!]!++] = i;
  const rank = nameRanks(names);
  for (let i = 0; i < size; i++) {
    const from = childStart[i]!;
    const to = childStart[i + 1]!;
    if (to - from > 1) {
      const kids = childIndex.subarray(from, to);
      kids.sort((a, b) => rank[nameId[a]!]! - rank[nameId[b]!]!);
    }
  }
  return new CallTree(names, parent, nameId, self, total, childStart, childIndex);
}

function nameRanks(names: readonly string[]): Uint32Array {
  const order = Array.from(names.keys()).sort((a, b) => compareNames(names[a]!, names[b]!));
  const rank = new Uint32Array(names.length);
  order.forEach((id, r) => (rank[id] = r));
  return rank;
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An empty tree: just the root. */
export function emptyCallTree(): CallTree {
  return new CallTreeBuilder().build();
}
