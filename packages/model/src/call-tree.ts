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

  /** The same tree with every value multiplied by `factor` (samples to nanoseconds, say). */
  scaled(factor: number): CallTree {
    const self = this.self.map((v) => v * factor);
    const total = this.total.map((v) => v * factor);
    return new CallTree(this.names, this.parent, this.nameId, self, total, this.childStart, this.childIndex);
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
  // Plain typed arrays grown by hand: this is the hottest loop of ingest and queries.
  private parent: Int32Array;
  private nameId: Uint32Array;
  private self: Float64Array;
  private length = 1;
  private slots: Int32Array;
  private mask: number;

  /** `expectedNodes` sizes the arrays up front; they grow past it as needed. */
  constructor(expectedNodes = 1024) {
    const capacity = Math.max(16, Math.min(expectedNodes, 1 << 24));
    this.parent = new Int32Array(capacity);
    this.nameId = new Uint32Array(capacity);
    this.self = new Float64Array(capacity);
    let slots = 32;
    while (slots < capacity * 2) slots *= 2;
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    this.parent[0] = -1;
  }

  get size(): number {
    return this.length;
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
    const slots = this.slots;
    const mask = this.mask;
    let slot = hash(parent, nameId) & mask;
    for (;;) {
      const node = slots[slot]!;
      if (node === -1) break;
      if (this.parent[node] === parent && this.nameId[node] === nameId) return node;
      slot = (slot + 1) & mask;
    }
    const node = this.length++;
    if (node === this.parent.length) this.grow();
    this.parent[node] = parent;
    this.nameId[node] = nameId;
    slots[slot] = node;
    if (node * 2 > mask) this.rehash();
    return node;
  }

  addSelf(node: number, value: number): void {
    this.self[node] = this.self[node]! + value;
  }

  /** Inserts one stack, root first, adding `value` to the self of its last frame. */
  insertStack(namesRootFirst: readonly string[], value: number): number {
    let node = 0;
    for (const name of namesRootFirst) node = this.child(node, this.intern(name));
    this.addSelf(node, value);
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
    this.addSelf(0, tree.self[0]! * factor);
    for (let i = 1; i < tree.size; i++) {
      const node = this.child(map[tree.parent[i]!]!, ids[tree.nameId[i]!]!);
      map[i] = node;
      this.addSelf(node, tree.self[i]! * factor);
    }
    return map;
  }

  build(): CallTree {
    const n = this.length;
    return assembleCallTree(this.names, this.parent.slice(0, n), this.nameId.slice(0, n), this.self.slice(0, n));
  }

  private grow(): void {
    const capacity = this.parent.length * 2;
    const parent = new Int32Array(capacity);
    parent.set(this.parent);
    const nameId = new Uint32Array(capacity);
    nameId.set(this.nameId);
    const self = new Float64Array(capacity);
    self.set(this.self);
    this.parent = parent;
    this.nameId = nameId;
    this.self = self;
  }

  private rehash(): void {
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    for (let node = 1; node < this.length; node++) {
      let slot = hash(this.parent[node]!, this.nameId[node]!) & this.mask;
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
  const byName = (a: number, b: number): number => compareNames(names[nameId[a]!]!, names[nameId[b]!]!);
  for (let i = 0; i < size; i++) {
    const from = childStart[i]!;
    const to = childStart[i + 1]!;
    if (to - from > 1) childIndex.subarray(from, to).sort(byName);
  }
  return new CallTree(names, parent, nameId, self, total, childStart, childIndex);
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An empty tree: just the root. */
export function emptyCallTree(): CallTree {
  return new CallTreeBuilder().build();
}
