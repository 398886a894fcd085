/**
 * A map from 64-bit ids (two uint32 halves) to dense indices 0..n-1, in typed arrays: the
 * stack dictionary of a busy tenant holds millions of ids, where a Map of bigints would cost
 * ten times the memory.
 */
export class IdTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** Per slot [lo, hi, index + 1, unused]: a probe reads one cache line, not three. */
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.slots = new Int32Array(slots * 4);
    this.mask = slots - 1;
    this.hi = new Uint32Array(Math.max(8, capacity));
    this.lo = new Uint32Array(Math.max(8, capacity));
  }

  /** The index of the id, or -1. */
  get(hi: number, lo: number): number {
    const slots = this.slots;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const at = slot << 2;
      const i = slots[at + 2]!;
      if (i === 0) return -1;
      if (slots[at] === (lo | 0) && slots[at + 1] === (hi | 0)) return i - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** The index of the id, adding it when new (compare `size` before and after to know). */
  add(hi: number, lo: number): number {
    const slots = this.slots;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const at = slot << 2;
      const i = slots[at + 2]!;
      if (i === 0) break;
      if (slots[at] === (lo | 0) && slots[at + 1] === (hi | 0)) return i - 1;
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
    const at = slot << 2;
    slots[at] = lo;
    slots[at + 1] = hi;
    slots[at + 2] = index + 1;
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
    const slots = (this.slots = new Int32Array(capacity * 4));
    this.mask = capacity - 1;
    for (let i = 0; i < this.size; i++) {
      const hi = this.hi[i]!;
      const lo = this.lo[i]!;
      let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
      while (slots[(slot << 2) + 2] !== 0) slot = (slot + 1) & this.mask;
      const at = slot << 2;
      slots[at] = lo;
      slots[at + 1] = hi;
      slots[at + 2] = i + 1;
    }
  }
}
