/**
 * A map from 64-bit ids (two uint32 halves) to dense indices 0..n-1, in typed arrays: the
 * stack dictionary of a busy tenant holds millions of ids, where a Map of bigints would cost
 * ten times the memory.
 */
export class IdTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    this.hi = new Uint32Array(Math.max(8, capacity));
    this.lo = new Uint32Array(Math.max(8, capacity));
  }

  /** The index of the id, or -1. */
  get(hi: number, lo: number): number {
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const i = this.slots[slot]!;
      if (i === -1 || (this.lo[i] === lo && this.hi[i] === hi)) return i;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The index of the id, adding it when new (compare `size` before and after to know). */
  add(hi: number, lo: number): number {
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const i = this.slots[slot]!;
      if (i === -1) break;
      if (this.lo[i] === lo && this.hi[i] === hi) return i;
      slot = (slot + 1) & this.mask;
    }
    const index = this.size++;
    if (index === this.hi.length) {
      const nh = new Uint32Array(index * 2);
      nh.set(this.hi);
      this.hi = nh;
      const nl = new Uint32Array(index * 2);
      nl.set(this.lo);
      this.lo = nl;
    }
    this.hi[index] = hi;
    this.lo[index] = lo;
    this.slots[slot] = index;
    if (this.size * 2 > this.mask) this.rehash();
    return index;
  }

  hiOf(index: number): number {
    return this.hi[index]!;
  }

  loOf(index: number): number {
    return this.lo[index]!;
  }

  private rehash(): void {
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    for (let i = 0; i < this.size; i++) {
      let slot = (this.lo[i]! ^ Math.imul(this.hi[i]!, 0x9e3779b1)) & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = i;
    }
  }
}
