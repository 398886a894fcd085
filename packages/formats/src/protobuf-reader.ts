import { FormatErrorCode, formatError } from './errors.js';

/**
 * A minimal protobuf wire reader over a byte array: just what a hand-written decoder needs.
 * 64-bit integers come back as float64 numbers (exact up to 2^53). Every read checks bounds and
 * throws ERR_FORMAT_TRUNCATED with the byte offset, so no input can read past the end.
 */
export class ProtobufReader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    public end = bytes.length,
  ) {
    this.pos = start;
  }

  /** An unsigned varint, up to 64 bits. */
  varint(): number {
    const b = this.bytes;
    let pos = this.pos;
    if (pos >= this.end) this.truncated('varint');
    let byte = b[pos++]!;
    if (byte < 0x80) {
      this.pos = pos;
      return byte;
    }
    let lo = byte & 0x7f;
    let shift = 7;
    while (shift < 28) {
      if (pos >= this.end) this.truncated('varint');
      byte = b[pos++]!;
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return lo >>> 0;
      }
      shift += 7;
    }
    // Bits 28 and up: split into the low 32 bits and the high part.
    if (pos >= this.end) this.truncated('varint');
    byte = b[pos++]!;
    lo = (lo | ((byte & 0x0f) << 28)) >>> 0;
    let hi = (byte & 0x7f) >> 4;
    if (byte >= 0x80) {
      shift = 3;
      for (;;) {
        if (pos >= this.end) this.truncated('varint');
        byte = b[pos++]!;
        if (shift < 32) hi |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
        shift += 7;
        if (shift > 31) this.invalid('varint longer than 10 bytes');
      }
    }
    this.pos = pos;
    return (hi >>> 0) * 4294967296 + lo;
  }

  /** A varint read as a two's-complement int64 (pprof's int64 fields). */
  int64(): number {
    const v = this.varint();
    return v >= 9223372036854775808 ? v - 18446744073709551616 : v;
  }

  /** Reads a length prefix and returns the end offset of the field. */
  lengthDelimited(): number {
    const at = this.pos;
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) this.truncated(`field of ${len} bytes at offset ${at}`);
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.lengthDelimited();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        this.invalid(`wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.truncated(`${n}-byte field`);
    this.pos += n;
  }

  truncated(what: string): never {
    throw formatError(FormatErrorCode.truncated, `protobuf ends inside a ${what} at offset ${this.pos}`, {
      offset: this.pos,
    });
  }

  invalid(what: string): never {
    throw formatError(FormatErrorCode.invalid, `invalid protobuf: ${what}`, { offset: this.pos });
  }
}

/**
 * Reads every byte of `bytes` as a sequence of varints and counts them: the cost of touching
 * each byte once with varint logic, which a decoder can at best approach. Benchmarks use it as
 * the floor a pprof decoder is measured against.
 */
export function scanVarints(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! < 0x80) count++;
  return count;
}
