import { radixOrder } from './radix-order.js';
import { decodeSamples, SampleBuffer } from './sample-blob.js';

/**
 * Sums of sample values per dense stack index, over any number of blobs: what a query or a
 * rollup adds up. The arrays are indexed by stack and reused from one sum to the next (a
 * tenant has up to millions of stacks; clearing touches only the stacks that were used).
 */
export class StackSums {
  private sums = new Float64Array(4096);
  private seen = new Uint8Array(4096);
  private touched = new Int32Array(1024);
  private count = 0;
  private readonly buffer = new SampleBuffer();
  /** radixOrder's arrays. */
  private order = new Uint32Array(0);
  private spare = new Uint32Array(0);

  /** Adds every sample of a blob (sample-blob.ts). */
  addBlob(blob: Uint8Array): void {
    const n = decodeSamples(blob, this.buffer);
    if (n === 0) return;
    const stacks = this.buffer.stacks;
    const values = this.buffer.values;
    // Stack indices come ascending: the last is the largest.
    if (stacks[n - 1]! >= this.sums.length) this.grow(stacks[n - 1]! + 1);
    if (this.count + n > this.touched.length) {
      const touched = new Int32Array(Math.max(this.touched.length * 2, this.count + n));
      touched.set(this.touched.subarray(0, this.count));
      this.touched = touched;
    }
    const sums = this.sums;
    const seen = this.seen;
    const touched = this.touched;
    let count = this.count;
    for (let i = 0; i < n; i++) {
      const s = stacks[i]!;
      if (seen[s] === 0) {
        seen[s] = 1;
        touched[count++] = s;
      }
      sums[s] = sums[s]! + values[i]!;
    }
    this.count = count;
  }

  /** The stacks added to since the last take, ascending, with their sums; then starts over. */
  take(): { stacks: Int32Array; values: Float64Array; count: number } {
    const n = this.count;
    if (this.order.length < n) {
      this.order = new Uint32Array(Math.max(n, this.order.length * 2));
      this.spare = new Uint32Array(this.order.length);
    }
    const order = radixOrder(this.touched, n, this.order, this.spare);
    const stacks = new Int32Array(n);
    for (let i = 0; i < n; i++) stacks[i] = this.touched[order[i]!]!;
    const values = new Float64Array(n);
    for (let i = 0; i < stacks.length; i++) {
      const s = stacks[i]!;
      values[i] = this.sums[s]!;
      this.sums[s] = 0;
      this.seen[s] = 0;
    }
    this.count = 0;
    return { stacks, values, count: stacks.length };
  }

  private grow(size: number): void {
    const capacity = Math.max(size, this.sums.length * 2);
    const sums = new Float64Array(capacity);
    sums.set(this.sums);
    this.sums = sums;
    const seen = new Uint8Array(capacity);
    seen.set(this.seen);
    this.seen = seen;
  }
}
