// Builds protobuf bytes by hand from field numbers, independently of @bufbuild/protobuf, so a test
// can check the generated schemas against the field numbers of the reference tables.
// Wire types: https://protobuf.dev/programming-guides/encoding/

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Unsigned LEB128; negative int64 values are written as their 64-bit two's complement. */
export function varint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return Uint8Array.from(bytes);
}

function tag(fieldNumber: number, wireType: number): Uint8Array {
  return varint((fieldNumber << 3) | wireType);
}

export function varintField(fieldNumber: number, value: number | bigint): Uint8Array {
  return concatBytes(tag(fieldNumber, WIRE_VARINT), varint(value));
}

export function doubleField(fieldNumber: number, value: number): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat64(0, value, true);
  return concatBytes(tag(fieldNumber, WIRE_I64), payload);
}

/** A length-delimited field: bytes, a string, an embedded message or a packed repeated scalar. */
export function bytesField(fieldNumber: number, ...payload: Uint8Array[]): Uint8Array {
  const body = concatBytes(...payload);
  return concatBytes(tag(fieldNumber, WIRE_LEN), varint(body.length), body);
}

export function stringField(fieldNumber: number, value: string): Uint8Array {
  return bytesField(fieldNumber, new TextEncoder().encode(value));
}

/** A packed repeated varint field (proto3's default for repeated int64). */
export function packedVarintField(fieldNumber: number, values: readonly (number | bigint)[]): Uint8Array {
  return bytesField(fieldNumber, ...values.map((v) => varint(v)));
}
