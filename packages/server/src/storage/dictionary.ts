import { CallTreeBuilder, type CallTree } from '@kiln/model';
import { IdTable } from './id-table.js';
import { childId, hashString } from './ids.js';

/** A stack or function the dictionary learned that is not yet stored. */
export interface NewStack {
  hi: number;
  lo: number;
  parentHi: number;
  parentLo: number;
  fnHi: number;
  fnLo: number;
}

export interface NewFunction {
  hi: number;
  lo: number;
  name: string;
}

/**
 * One tenant's functions and stacks, in memory: ids to dense indices, each stack's parent and
 * function. Loaded from meta.duckdb at start, grown by writes, used by queries to turn stack
 * ids back into call trees.
 */
export class Dictionary {
  readonly functions = new IdTable();
  readonly functionNames: string[] = [];
  private readonly functionByName = new Map<string, number>();
  readonly stacks = new IdTable(4096);
  /**
   * (parent index + 1, function index) of every stack, added in step with `stacks` so that
   * both give the same dense index: finding a known stack is one integer-pair lookup, with no
   * 64-bit id to compute.
   */
  private readonly paths = new IdTable(4096);
  private stackParent = new Int32Array(4096);
  private stackFunction = new Int32Array(4096);
  /** Entries added since the last `takeNew()`; the writer stores them. */
  private newFunctions: NewFunction[] = [];
  private newStacks: NewStack[] = [];

  addFunction(name: string, hi?: number, lo?: number): number {
    const known = this.functionByName.get(name);
    if (known !== undefined) return known;
    const [h, l] = hi === undefined || lo === undefined ? hashString(name) : [hi, lo];
    const before = this.functions.size;
    const index = this.functions.add(h, l);
    if (this.functions.size !== before) {
      this.functionNames[index] = name;
      if (hi === undefined) this.newFunctions.push({ hi: h, lo: l, name });
    }
    this.functionByName.set(name, index);
    return index;
  }

  /** Adds a stack known to be stored (loading), or a new one when `record` is true. */
  addStack(hi: number, lo: number, parent: number, fn: number, record: boolean): number {
    const before = this.stacks.size;
    const index = this.stacks.add(hi, lo);
    if (this.stacks.size !== before) {
      this.paths.add(parent + 1, fn);
      if (index >= this.stackParent.length) this.grow();
      this.stackParent[index] = parent;
      this.stackFunction[index] = fn;
      if (record) {
        this.newStacks.push({
          hi,
          lo,
          parentHi: parent === -1 ? 0 : this.stacks.hiOf(parent),
          parentLo: parent === -1 ? 0 : this.stacks.loOf(parent),
          fnHi: this.functions.hiOf(fn),
          fnLo: this.functions.loOf(fn),
        });
      }
    }
    return index;
  }

  /**
   * The stack index of every node of `tree` (-1 for the root), adding what is new. A stack's
   * id depends only on its path of function names, so equal paths share one id everywhere.
   */
  internTree(tree: CallTree): Int32Array {
    const fnOfName = new Int32Array(tree.names.length).fill(-1);
    const stackOf = new Int32Array(tree.size);
    stackOf[0] = -1;
    for (let node = 1; node < tree.size; node++) {
      const nameId = tree.nameId[node]!;
      let fn = fnOfName[nameId]!;
      if (fn === -1) fn = fnOfName[nameId] = this.addFunction(tree.names[nameId]!);
      const parent = stackOf[tree.parent[node]!]!;
      const known = this.paths.get(parent + 1, fn);
      if (known !== -1) {
        stackOf[node] = known;
        continue;
      }
      const [hi, lo] = childId(
        parent === -1 ? 0 : this.stacks.hiOf(parent),
        parent === -1 ? 0 : this.stacks.loOf(parent),
        this.functions.hiOf(fn),
        this.functions.loOf(fn),
      );
      stackOf[node] = this.addStack(hi, lo, parent, fn, true);
    }
    return stackOf;
  }

  takeNew(): { functions: NewFunction[]; stacks: NewStack[] } {
    const out = { functions: this.newFunctions, stacks: this.newStacks };
    this.newFunctions = [];
    this.newStacks = [];
    return out;
  }

  /** Builds a call tree from (stack index, value) pairs. */
  buildTree(stackIndices: ArrayLike<number>, values: ArrayLike<number>): CallTree {
    const builder = new CallTreeBuilder(Math.min(stackIndices.length * 4, 1 << 20));
    const nodeOf = new Map<number, number>();
    const path: number[] = [];
    for (let i = 0; i < stackIndices.length; i++) {
      let s = stackIndices[i]!;
      if (s < 0) continue;
      path.length = 0;
      let node = -1;
      while (s !== -1) {
        const known = nodeOf.get(s);
        if (known !== undefined) {
          node = known;
          break;
        }
        path.push(s);
        s = this.stackParent[s]!;
      }
      if (node === -1) node = 0;
      for (let p = path.length - 1; p >= 0; p--) {
        const stack = path[p]!;
        node = builder.child(node, builder.intern(this.functionNames[this.stackFunction[stack]!]!));
        nodeOf.set(stack, node);
      }
      builder.addSelf(node, values[i]!);
    }
    return builder.build();
  }

  private grow(): void {
    const parent = new Int32Array(this.stackParent.length * 2);
    parent.set(this.stackParent);
    this.stackParent = parent;
    const fn = new Int32Array(this.stackFunction.length * 2);
    fn.set(this.stackFunction);
    this.stackFunction = fn;
  }
}
