import { radixOrder } from './radix-order.js';

/**
 * The samples of one series in one cell, as one blob: the profiling-specific encoding that
 * keeps a stored profile small (about two bytes per sample, as Pyroscope's symdb does), where
 * a row per sample cost 60–70 % of the gzipped upload.
 *
 * Layout: a flags byte, a varint count n, the scale as a varint when flags has SCALED, then
 * n stack indices ascending as varint deltas (the first from 0), then n values:
 * - FLOAT: float64 little endian;
 * - otherwise integers divided by the scale (1 without SCALED), as varints, or as zigzag
 *   varints when flags has SIGNED.
 * Profilers report values in multiples of their period (10 ms of CPU as 10,000,000 ns, heap
 * samples in multiples of the sampling rate), so dividing by the values' greatest common
 * divisor turns a 4-byte varint into a 1-byte one.
 *
 * Stack indices are the tenant dictionary's dense indices: meta.duckdb's stacks rows in
 * insertion order (docs/storage-format.md). Zero values are not stored.
 */
export const SAMPLE_FLAGS = { FLOAT: 1, SCALED: 2, SIGNED: 4, BELOW: 8 } as const;

/**
 * A rollup cell that holds what the level below holds over the same span: written in place of
 * a copy when the cell would be summed from a single row (docs/storage-format.md).
 */
export const BELOW_BLOB: Uint8Array = Uint8Array.of(SAMPLE_FLAGS.BELOW);
/** BELOW_BLOB as a DuckDB literal. */
export const BELOW_SQL = `'\\x08'::BLOB`;

export function isBelow(blob: Uint8Array): boolean {
  return (blob[0]! & SAMPLE_FLAGS.BELOW) !== 0;
}

/** Larger integers are stored as float64: their zigzag form must stay a safe integer. */
const MAX_INTEGER = 2 ** 52;

/**
 * Encodes n (stack index, value) pairs in any order: repeated stacks are summed and zero sums
 * dropped. Stack indices are non-negative int32. (One blob; a store encodes through a
 * SampleEncoder it keeps.)
 */
export function encodeSamples(stacks: Int32Array, values: Float64Array, n: number): Uint8Array {
  return new SampleEncoder().encode(stacks, values, n);
}

/**
 * encodeSamples with its working arrays kept from one blob to the next: the store encodes a
 * blob per upload and per rollup cell, and fresh arrays for each fed the garbage collector.
 * The blob returned is the caller's own.
 */
export class SampleEncoder {
  private stacks = new Int32Array(256);
  private values = new Float64Array(256);
  private order = new Uint32Array(256);
  private spare = new Uint32Array(256);
  private readonly out = new Writer(1024);

  encode(stacks: Int32Array, values: Float64Array, n: number): Uint8Array {
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = stacks[i - 1]! < stacks[i]!;
    let s = stacks;
    let v = values;
    let count = n;
    if (!sorted) {
      this.ensure(n);
      s = this.stacks;
      v = this.values;
      const order = this.sortOrder(stacks, n);
      count = 0;
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        if (count > 0 && s[count - 1] === stacks[i]) v[count - 1]! += values[i]!;
        else {
          s[count] = stacks[i]!;
          v[count++] = values[i]!;
        }
      }
    }
    let integers = true;
    let signed = false;
    let scale = 0;
    let nonZero = 0;
    for (let i = 0; i < count; i++) {
      const x = v[i]!;
      if (x === 0) continue;
      nonZero++;
      if (!integers) continue;
      if (!Number.isInteger(x) || Math.abs(x) > MAX_INTEGER) {
        integers = false;
        continue;
      }
      if (x < 0) signed = true;
      if (scale !== 1) scale = gcd(scale, Math.abs(x));
    }
    let flags = 0;
    if (!integers) flags |= SAMPLE_FLAGS.FLOAT;
    else {
      if (scale > 1) flags |= SAMPLE_FLAGS.SCALED;
      if (signed) flags |= SAMPLE_FLAGS.SIGNED;
    }
    const out = this.out;
    out.reset();
    out.byte(flags);
    out.varint(nonZero);
    if (flags & SAMPLE_FLAGS.SCALED) out.varint(scale);
    let prev = 0;
    for (let i = 0; i < count; i++) {
      if (v[i] === 0) continue;
      out.varint(s[i]! - prev);
      prev = s[i]!;
    }
    const divisor = scale > 1 ? scale : 1;
    for (let i = 0; i < count; i++) {
      const x = v[i]!;
      if (x === 0) continue;
      if (!integers) out.float64(x);
      else if (signed) out.varint(x < 0 ? (-2 * x) / divisor - 1 : (2 * x) / divisor);
      else out.varint(x / divisor);
    }
    return out.finish();
  }

  private ensure(n: number): void {
    if (n <= this.stacks.length) return;
    const size = Math.max(n, this.stacks.length * 2);
    this.stacks = new Int32Array(size);
    this.values = new Float64Array(size);
    this.order = new Uint32Array(size);
    this.spare = new Uint32Array(size);
  }

  /** Positions 0..n-1 ordered by stack index, stably. */
  private sortOrder(stacks: Int32Array, n: number): Uint32Array {
    return radixOrder(stacks, n, this.order, this.spare);
  }
}

/** Reusable arrays that decodeSamples fills: a query decodes thousands of blobs. */
export class SampleBuffer {
  stacks = new Int32Array(1024);
  values = new Float64Array(1024);

  ensure(n: number): void {
    if (n <= this.stacks.length) return;
    const size = Math.max(n, this.stacks.length * 2);
    this.stacks = new Int32Array(size);
    this.values = new Float64Array(size);
  }
}

/** Decodes a blob into `out` (stack indices ascending); returns the number of samples. */
export function decodeSamples(blob: Uint8Array, out: SampleBuffer): number {
  let pos = 0;
  const flags = blob[pos++]!;
  if (flags & SAMPLE_FLAGS.BELOW) throw new Error('a BELOW cell has no samples of its own; read the level below');
  // Varints are read inline: this loop runs for every sample a query touches.
  let n = 0;
  for (let shift = 1; ; shift *= 128) {
    const b = blob[pos++]!;
    n += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  let scale = 1;
  if (flags & SAMPLE_FLAGS.SCALED) {
    scale = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = blob[pos++]!;
      scale += (b & 0x7f) * shift;
      if (b < 0x80) break;
    }
  }
  out.ensure(n);
  const stacks = out.stacks;
  const values = out.values;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    let b = blob[pos++]!;
    let delta = b & 0x7f;
    for (let shift = 128; b >= 0x80; shift *= 128) {
      b = blob[pos++]!;
      delta += (b & 0x7f) * shift;
    }
    stacks[i] = prev += delta;
  }
  if (flags & SAMPLE_FLAGS.FLOAT) {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < n; i++, pos += 8) values[i] = view.getFloat64(pos, true);
    return n;
  }
  const signed = (flags & SAMPLE_FLAGS.SIGNED) !== 0;
  for (let i = 0; i < n; i++) {
    let b = blob[pos++]!;
    let x = b & 0x7f;
    for (let shift = 128; b >= 0x80; shift *= 128) {
      b = blob[pos++]!;
      x += (b & 0x7f) * shift;
    }
    if (signed) x = x % 2 === 1 ? -(x + 1) / 2 : x / 2;
    values[i] = x * scale;
  }
  return n;
}

/** The sum of a blob's values. */
export function sumSamples(blob: Uint8Array, buffer = new SampleBuffer()): number {
  const n = decodeSamples(blob, buffer);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += buffer.values[i]!;
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  float64(x: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
