import { assembleCallTree, ROOT_NAME, type CallTree, type StackSamples } from '@kiln/model';
import { IdTable } from './id-table.js';
import { childHi, childLo, hashString, hashStringInto } from './ids.js';

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
 * A profile's samples as dense stack indices (not sorted) and self values. From
 * internStackSamples, the arrays are the dictionary's scratch: valid until its next call.
 */
export interface InternedSamples {
  stacks: Int32Array;
  values: Float64Array;
  count: number;
}

/**
 * One tenant's functions and stacks, in memory: ids to dense indices, each stack's parent and
 * function. Loaded from meta.duckdb at start, grown by writes, used by queries to turn stack
 * indices back into call trees. Dense indices follow insertion order, so a stack's parent
 * always has a lower index than the stack.
 */
export class Dictionary {
  readonly functions = new IdTable();
  readonly functionNames: string[] = [];
  readonly stacks = new IdTable(4096);
  private stackParent = new Int32Array(4096);
  private stackFunction = new Int32Array(4096);
  /** Per stack, its node in the tree buildTree is making (0: none); all 0 between calls. */
  private nodeOfStack = new Int32Array(4096);
  /** Entries added since the last `takeNew()`; the writer stores them. */
  private newFunctions: NewFunction[] = [];
  private newStacks: NewStack[] = [];
  /** Scratch of internStackSamples, reused from one profile to the next. */
  private scratch = new InternScratch();

  /**
   * The index of the function named `name`, adding it when new. Functions are found by their
   * content id (hashString of the name), as stacks are, not by a table of names: hashing a
   * name is 3× faster than a Map lookup of it among a tenant's functions. With `hi` and `lo`
   * the function is known to be stored (loading); without, a new one is recorded.
   */
  addFunction(name: string, hi?: number, lo?: number): number {
    if (hi !== undefined && lo !== undefined) return this.functionOf(name, hi, lo, false);
    const [h, l] = hashString(name);
    return this.functionOf(name, h, l, true);
  }

  /** The function with this name and id, added (and recorded when `record`) if new. */
  private functionOf(name: string, hi: number, lo: number, record: boolean): number {
    const before = this.functions.size;
    const index = this.functions.add(hi, lo);
    if (this.functions.size !== before) {
      this.functionNames[index] = name;
      if (record) this.newFunctions.push({ hi, lo, name });
    }
    return index;
  }

  /** Adds a stack known to be stored (loading), or a new one when `record` is true. */
  addStack(hi: number, lo: number, parent: number, fn: number, record: boolean): number {
    const before = this.stacks.size;
    const index = this.stacks.add(hi, lo);
    if (this.stacks.size !== before) {
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
   * The samples of `tree` (its nodes with a non-zero self, the root excepted) as dense stack
   * indices, adding the stacks that are new. A stack's id depends only on its path of function
   * names, so equal paths share one id everywhere.
   *
   * Every node's id is computed from its parent's (arithmetic over the tree's arrays, in
   * order), and only the sampled nodes are looked up: one hash probe per sample instead of one
   * per node. A busy profile has 10–30 nodes per sample.
   */
  internCallTree(tree: CallTree): InternedSamples {
    const size = tree.size;
    const names = tree.names;
    // Functions first, once per name (the root's name only if a frame uses it).
    const fnOfName = new Int32Array(names.length).fill(-1);
    const fnHiOfName = new Uint32Array(names.length);
    const fnLoOfName = new Uint32Array(names.length);
    const resolve = (nameId: number): void => {
      const fn = (fnOfName[nameId] = this.addFunction(names[nameId]!));
      fnHiOfName[nameId] = this.functions.hiOf(fn);
      fnLoOfName[nameId] = this.functions.loOf(fn);
    };
    for (let nameId = 1; nameId < names.length; nameId++) resolve(nameId);
    const hi = new Uint32Array(size);
    const lo = new Uint32Array(size);
    const self = tree.self;
    const parentOf = tree.parent;
    const nameOf = tree.nameId;
    let count = 0;
    for (let node = 1; node < size; node++) {
      const nameId = nameOf[node]!;
      if (nameId === 0 && fnOfName[0] === -1) resolve(0);
      const parent = parentOf[node]!;
      hi[node] = childHi(hi[parent]!, fnHiOfName[nameId]!);
      lo[node] = childLo(lo[parent]!, fnLoOfName[nameId]!);
      if (self[node] !== 0) count++;
    }
    const stacks = new Int32Array(count);
    const values = new Float64Array(count);
    // Stack index per node, filled only where a new path had to be added (-1: not known yet).
    let stackOf: Int32Array | null = null;
    let k = 0;
    for (let node = 1; node < size; node++) {
      if (self[node] === 0) continue;
      let stack = this.stacks.get(hi[node]!, lo[node]!);
      if (stack === -1) {
        stackOf ??= new Int32Array(size).fill(-1);
        stack = this.addTreePath(tree, node, hi, lo, fnOfName, stackOf);
      }
      stacks[k] = stack;
      values[k++] = self[node]!;
    }
    return { stacks, values, count };
  }

  /** Adds the stack of `node` and those of its ancestors that are missing; returns its index. */
  private addTreePath(
    tree: CallTree,
    node: number,
    hi: Uint32Array,
    lo: Uint32Array,
    fnOfName: Int32Array,
    stackOf: Int32Array,
  ): number {
    // Up to the nearest ancestor that is known, then back down adding each frame.
    const path: number[] = [];
    let n = node;
    let parentStack = -1;
    while (n !== 0) {
      if (stackOf[n] !== -1) {
        parentStack = stackOf[n]!;
        break;
      }
      const known = this.stacks.get(hi[n]!, lo[n]!);
      if (known !== -1) {
        parentStack = stackOf[n] = known;
        break;
      }
      path.push(n);
      n = tree.parent[n]!;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const p = path[i]!;
      parentStack = stackOf[p] = this.addStack(hi[p]!, lo[p]!, parentStack, fnOfName[tree.nameId[p]!]!, true);
    }
    return parentStack;
  }

  /**
   * The samples with a non-zero value and at least one frame as dense stack indices, adding the
   * stacks that are new: the same stacks and ids as interning the call tree of the same
   * samples (internCallTree), without building it.
   *
   * A sample's stack id is computed frame by frame from the root (integer arithmetic, no
   * lookups) and looked up once; only a stack not known yet walks its frames again to add the
   * missing prefixes and the functions they need. Names come with their ids from a decoded
   * pprof (StackSamples.nameIds) or are hashed here, once each; a function is looked up only
   * for a new stack, so names that only other sample types or label groups use stay out of the
   * dictionary. The caller has checked the columns (validateProfile).
   *
   * The ids of two samples are computed side by side: each id is a chain of dependent mixes
   * (15 cycles a frame, 33,000 frames in a busy upload), and two independent chains in one loop
   * let the CPU overlap them, 1.5× faster than one sample after the other.
   */
  internStackSamples(samples: StackSamples): InternedSamples {
    const { names, locationStart, locationFrames, stackStart, stack, values, length } = samples;
    const locationCount = locationStart.length - 1;
    const scratch = this.scratch.reset(names.length, locationCount, length);
    const { fnOfName, locKind, locHi, locLo, stacks, values: sampleValues } = scratch;
    const { sampleHi, sampleLo, sampleOf } = scratch;
    // Per name its function's id (fnOfName: -2, the function's index only once a new stack
    // needs it); per location 1 with one frame (its function's id in locHi, locLo), else 2.
    let fnHiOfName: Uint32Array = scratch.fnHiOfName;
    let fnLoOfName: Uint32Array = scratch.fnLoOfName;
    if (samples.nameIds !== undefined) {
      fnHiOfName = samples.nameIds.hi;
      fnLoOfName = samples.nameIds.lo;
    } else {
      for (let n = 0; n < names.length; n++) hashStringInto(names[n]!, fnHiOfName, fnLoOfName, n);
    }
    this.scratch.nameHi = fnHiOfName;
    this.scratch.nameLo = fnLoOfName;
    fnOfName.fill(-2, 0, names.length);
    for (let l = 0; l < locationCount; l++) {
      const from = locationStart[l]!;
      if (locationStart[l + 1]! - from !== 1) {
        locKind[l] = 2;
        continue;
      }
      locKind[l] = 1;
      locHi[l] = fnHiOfName[locationFrames[from]!]!;
      locLo[l] = fnLoOfName[locationFrames[from]!]!;
    }
    let count = 0;
    for (let s = 0; s < length; s++) {
      const value = values[s]!;
      if (value === 0 || stackStart[s] === stackStart[s + 1]) continue;
      sampleOf[count] = s;
      sampleValues[count++] = value;
    }
    // Locations are leaf first: the root is the last. Two samples at a time, then the rest of
    // the longer one; a location with several frames (inlining) mixes them all.
    for (let k = 0; k < count; k += 2) {
      const a = sampleOf[k]!;
      const fromA = stackStart[a]!;
      let i = stackStart[a + 1]! - 1;
      let hiA = 0;
      let loA = 0;
      const b = k + 1 < count ? sampleOf[k + 1]! : a;
      const fromB = k + 1 < count ? stackStart[b]! : stackStart[b + 1]!;
      let j = stackStart[b + 1]! - 1;
      let hiB = 0;
      let loB = 0;
      for (; i >= fromA && j >= fromB; i--, j--) {
        const x = stack[i]!;
        const y = stack[j]!;
        if ((locKind[x]! | locKind[y]!) === 1) {
          hiA = childHi(hiA, locHi[x]!);
          loA = childLo(loA, locLo[x]!);
          hiB = childHi(hiB, locHi[y]!);
          loB = childLo(loB, locLo[y]!);
          continue;
        }
        for (let f = locationStart[x]!, to = locationStart[x + 1]!; f < to; f++) {
          hiA = childHi(hiA, fnHiOfName[locationFrames[f]!]!);
          loA = childLo(loA, fnLoOfName[locationFrames[f]!]!);
        }
        for (let f = locationStart[y]!, to = locationStart[y + 1]!; f < to; f++) {
          hiB = childHi(hiB, fnHiOfName[locationFrames[f]!]!);
          loB = childLo(loB, fnLoOfName[locationFrames[f]!]!);
        }
      }
      for (; i >= fromA; i--) {
        const x = stack[i]!;
        for (let f = locationStart[x]!, to = locationStart[x + 1]!; f < to; f++) {
          hiA = childHi(hiA, fnHiOfName[locationFrames[f]!]!);
          loA = childLo(loA, fnLoOfName[locationFrames[f]!]!);
        }
      }
      for (; j >= fromB; j--) {
        const y = stack[j]!;
        for (let f = locationStart[y]!, to = locationStart[y + 1]!; f < to; f++) {
          hiB = childHi(hiB, fnHiOfName[locationFrames[f]!]!);
          loB = childLo(loB, fnLoOfName[locationFrames[f]!]!);
        }
      }
      sampleHi[k] = hiA;
      sampleLo[k] = loA;
      if (k + 1 < count) {
        sampleHi[k + 1] = hiB;
        sampleLo[k + 1] = loB;
      }
    }
    // Ids first, probes after: a probe into a table of a million stacks misses the CPU caches,
    // and independent probes in a row overlap their misses.
    for (let k = 0; k < count; k++) stacks[k] = this.stacks.get(sampleHi[k]!, sampleLo[k]!);
    for (let k = 0; k < count; k++) {
      if (stacks[k] !== -1) continue;
      // A new stack (or one an earlier sample of this profile added).
      const s = sampleOf[k]!;
      stacks[k] = this.stacks.get(sampleHi[k]!, sampleLo[k]!);
      if (stacks[k] === -1) stacks[k] = this.addSamplePath(samples, stackStart[s]!, stackStart[s + 1]!);
    }
    // Do not keep the profile's ids alive until the next call.
    this.scratch.nameHi = this.scratch.fnHiOfName;
    this.scratch.nameLo = this.scratch.fnLoOfName;
    return { stacks, values: sampleValues, count };
  }

  /**
   * Adds the stack of sample locations stack[from .. to) and its missing prefixes, and the
   * functions they need; returns its index. The names are hashed (internStackSamples).
   */
  private addSamplePath(samples: StackSamples, from: number, to: number): number {
    const { fnOfName, nameHi: fnHiOfName, nameLo: fnLoOfName } = this.scratch;
    let hi = 0;
    let lo = 0;
    let index = -1;
    for (let i = to - 1; i >= from; i--) {
      const l = samples.stack[i]!;
      const fTo = samples.locationStart[l + 1]!;
      for (let f = samples.locationStart[l]!; f < fTo; f++) {
        const nameId = samples.locationFrames[f]!;
        const fnHi = fnHiOfName[nameId]!;
        const fnLo = fnLoOfName[nameId]!;
        let fn = fnOfName[nameId]!;
        if (fn < 0) fn = fnOfName[nameId] = this.functionOf(samples.names[nameId]!, fnHi, fnLo, true);
        hi = childHi(hi, fnHi);
        lo = childLo(lo, fnLo);
        index = this.addStack(hi, lo, index, fn, true);
      }
    }
    return index;
  }

  takeNew(): { functions: NewFunction[]; stacks: NewStack[] } {
    const out = { functions: this.newFunctions, stacks: this.newStacks };
    this.newFunctions = [];
    this.newStacks = [];
    return out;
  }

  /**
   * The call tree of (stack index, value) pairs; a stack may repeat. The tree's nodes are the
   * stacks with a non-zero value and their ancestors, each ancestor listed before its
   * descendants, as a CallTree needs; no hashing, the dictionary already holds the shape.
   */
  buildTree(stackIndices: ArrayLike<number>, values: ArrayLike<number>, count = stackIndices.length): CallTree {
    if (this.nodeOfStack.length < this.stackParent.length) this.nodeOfStack = new Int32Array(this.stackParent.length);
    const nodeOf = this.nodeOfStack;
    let members = new Int32Array(Math.max(16, count * 2));
    let size = 0;
    for (let i = 0; i < count; i++) {
      if (values[i] === 0 || stackIndices[i]! < 0) continue;
      // Up to the first ancestor already listed, then append that path top-down.
      const from = size;
      for (let s = stackIndices[i]!; s !== -1 && nodeOf[s] === 0; s = this.stackParent[s]!) {
        nodeOf[s] = 1;
        if (size === members.length) {
          const next = new Int32Array(size * 2);
          next.set(members);
          members = next;
        }
        members[size++] = s;
      }
      members.subarray(from, size).reverse();
    }
    const names: string[] = [ROOT_NAME];
    const nameOfFunction = new Int32Array(this.functionNames.length).fill(-1);
    const parent = new Int32Array(size + 1);
    const nameId = new Uint32Array(size + 1);
    const self = new Float64Array(size + 1);
    parent[0] = -1;
    for (let i = 0; i < size; i++) {
      const s = members[i]!;
      nodeOf[s] = i + 1;
      const p = this.stackParent[s]!;
      parent[i + 1] = p === -1 ? 0 : nodeOf[p]!;
      const fn = this.stackFunction[s]!;
      let name = nameOfFunction[fn]!;
      if (name === -1) {
        const text = this.functionNames[fn]!;
        // A function called like the root shares its name id, as CallTreeBuilder.intern does.
        name = nameOfFunction[fn] = text === ROOT_NAME ? 0 : names.push(text) - 1;
      }
      nameId[i + 1] = name;
    }
    for (let i = 0; i < count; i++) {
      if (values[i] === 0 || stackIndices[i]! < 0) continue;
      const node = nodeOf[stackIndices[i]!]!;
      self[node] = self[node]! + values[i]!;
    }
    for (let i = 0; i < size; i++) nodeOf[members[i]!] = 0;
    return assembleCallTree(names, parent, nameId, self);
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

/**
 * The per-profile arrays of internStackSamples, kept between calls: a busy profile needs eight
 * of them (tens of KB), and allocating them for every upload fed the garbage collector.
 */
class InternScratch {
  fnOfName = new Int32Array(0);
  fnHiOfName = new Uint32Array(0);
  fnLoOfName = new Uint32Array(0);
  locKind = new Uint8Array(0);
  locHi = new Uint32Array(0);
  locLo = new Uint32Array(0);
  stacks = new Int32Array(0);
  values = new Float64Array(0);
  sampleHi = new Uint32Array(0);
  sampleLo = new Uint32Array(0);
  sampleOf = new Uint32Array(0);
  /** The names' ids of the profile being interned: fnHiOfName and fnLoOfName, or its nameIds. */
  nameHi: Uint32Array = this.fnHiOfName;
  nameLo: Uint32Array = this.fnLoOfName;

  /** Sized for the profile. */
  reset(names: number, locations: number, samples: number): this {
    if (this.fnOfName.length < names) {
      const n = Math.max(names, this.fnOfName.length * 2);
      this.fnOfName = new Int32Array(n);
      this.fnHiOfName = new Uint32Array(n);
      this.fnLoOfName = new Uint32Array(n);
    }
    if (this.locKind.length < locations) {
      const n = Math.max(locations, this.locKind.length * 2);
      this.locKind = new Uint8Array(n);
      this.locHi = new Uint32Array(n);
      this.locLo = new Uint32Array(n);
    }
    if (this.stacks.length < samples) {
      const n = Math.max(samples, this.stacks.length * 2);
      this.stacks = new Int32Array(n);
      this.values = new Float64Array(n);
      this.sampleHi = new Uint32Array(n);
      this.sampleLo = new Uint32Array(n);
      this.sampleOf = new Uint32Array(n);
    }
    return this;
  }
}
