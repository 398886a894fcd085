/**
 * A minimal protobuf wire writer. Nested messages are written into a child writer and copied
 * in with their length, which keeps the code simple; pprof messages are small.
 */
export class ProtobufWriter {
  private buf = new Uint8Array(4096);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** An unsigned varint; negative numbers are written as 64-bit two's complement. */
  varint(value: number): void {
    this.ensure(10);
    if (value >= 0 && value < 0x80) {
      this.buf[this.length++] = value;
      return;
    }
    let lo: number;
    let hi: number;
    if (value >= 0) {
      lo = value % 4294967296;
      hi = Math.floor(value / 4294967296);
    } else {
      // Two's complement of |value| in two exact 32-bit halves (value + 2^64 in a double
      // rounds: -1 became 2^64).
      const absLo = -value % 4294967296;
      const absHi = Math.floor(-value / 4294967296);
      lo = absLo === 0 ? 0 : 4294967296 - absLo;
      hi = (absLo === 0 ? 4294967296 - absHi : 4294967295 - absHi) % 4294967296;
    }
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.length++] = (lo & 0x7f) | 0x80;
      lo = (lo >>> 7) | ((hi & 0x7f) << 25);
      lo >>>= 0;
      hi = Math.floor(hi / 128);
    }
    this.buf[this.length++] = lo;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A varint field, skipped when 0 as proto3 does. */
  uint(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, 0);
    this.varint(value);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Appends `child`'s contents as a length-delimited field, then empties `child` for reuse. */
  message(field: number, child: ProtobufWriter): void {
    this.bytes(field, child.buf.subarray(0, child.length));
    child.length = 0;
  }

  /** A packed repeated varint field; nothing when empty. */
  packed(field: number, values: ArrayLike<number>, from = 0, to = values.length, scratch = new ProtobufWriter()): void {
    if (to <= from) return;
    for (let i = from; i < to; i++) scratch.varint(values[i]!);
    this.message(field, scratch);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
