/**
 * The samples of one series in one cell, as one blob: the profiling-specific encoding that
 * keeps a stored profile small (a few bytes per sample, as Pyroscope's symdb does), where a
 * row per sample cost 60–70 % of the gzipped upload.
 *
 * Layout: a flags byte, a varint count n, then n stack indices ascending as varint deltas,
 * then n values: zigzag varints when every value is an integer (flags 0), else float64 little
 * endian (flags 1). Stack indices are the tenant dictionary's dense indices: meta.duckdb's
 * stacks rows in insertion order (docs/storage-format.md).
 */
export function encodeSamples(stacks: Int32Array, values: Float64Array, n: number): Uint8Array {
  // Sort by stack index and merge repeats.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => stacks[a]! - stacks[b]!);
  const s: number[] = [];
  const v: number[] = [];
  for (const i of order) {
    if (s.length > 0 && s[s.length - 1] === stacks[i]) v[v.length - 1]! += values[i]!;
    else {
      s.push(stacks[i]!);
      v.push(values[i]!);
    }
  }
  const integers = v.every((x) => Number.isSafeInteger(x));
  const out = new Writer(16 + s.length * (integers ? 6 : 12));
  out.byte(integers ? 0 : 1);
  out.varint(s.length);
  let prev = 0;
  for (const x of s) {
    out.varint(x - prev);
    prev = x;
  }
  if (integers) for (const x of v) out.varint(x < 0 ? -2 * x - 1 : 2 * x);
  else for (const x of v) out.float64(x);
  return out.finish();
}

/** Calls `add(stackIndex, value)` for every sample in the blob. */
export function decodeSamples(blob: Uint8Array, add: (stack: number, value: number) => void): void {
  const r = { pos: 0 };
  const flags = blob[r.pos++]!;
  const n = readVarint(blob, r);
  const stacks = new Int32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) stacks[i] = prev += readVarint(blob, r);
  if (flags === 0) {
    for (let i = 0; i < n; i++) {
      const z = readVarint(blob, r);
      add(stacks[i]!, z % 2 === 1 ? -(z + 1) / 2 : z / 2);
    }
  } else {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < n; i++) {
      add(stacks[i]!, view.getFloat64(r.pos, true));
      r.pos += 8;
    }
  }
}

/** The sum of a blob's values, without materialising them. */
export function sumSamples(blob: Uint8Array): number {
  let sum = 0;
  decodeSamples(blob, (_, v) => (sum += v));
  return sum;
}

function readVarint(b: Uint8Array, r: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const byte = b[r.pos++]!;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result;
    scale *= 128;
  }
}

class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
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
