/**
 * Content-derived 64-bit ids. A function's id hashes its name; a stack's id hashes its
 * parent stack's id with its function's id; a series' id hashes its sorted labels. Any writer
 * (this process, another node, the ClickHouse backend) computes the same id for the same
 * content, so ids never need a central counter.
 *
 * An id is held as two uint32 halves (hi, lo) in JS, and as UBIGINT in the database.
 */

import { nameId, nameIdOfText } from '@kiln/model';

/**
 * A string's content id: the 64-bit hash of its UTF-8 bytes that @kiln/model's name-id.ts
 * defines (format 5; a decoded pprof carries its strings' ids already, Profile.stringIds).
 */
export function hashString(text: string): [number, number] {
  return nameId(text);
}

/** hashString into `hi[at]` and `lo[at]`, allocating nothing. */
export function hashStringInto(text: string, hi: Uint32Array, lo: Uint32Array, at: number): void {
  nameIdOfText(text, hi, lo, at);
}

/**
 * The id of a child: each half of the parent's id XOR the same half of the function's id, mixed
 * on its own (format 4). Ingest computes this for every frame of every sample; with the halves
 * independent, the CPU runs the two mixes side by side, where format 3's low half waited for
 * the high one. Each mix is a bijection, so siblings (same parent, other function) and paths
 * that differ in one frame never collide.
 */
export function childId(parentHi: number, parentLo: number, fnHi: number, fnLo: number): [number, number] {
  return [childHi(parentHi, fnHi), childLo(parentLo, fnLo)];
}

/** childId's high half, as uint32 (the hot path computes the halves without an array). */
export function childHi(parentHi: number, fnHi: number): number {
  let h = parentHi ^ fnHi;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** childId's low half, as uint32. */
export function childLo(parentLo: number, fnLo: number): number {
  let h = parentLo ^ fnLo;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return (h ^ (h >>> 15)) >>> 0;
}

export function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function fromBigInt(id: bigint): [number, number] {
  return [Number(id >> 32n), Number(id & 0xffffffffn)];
}

/** The root of every stack tree: id 0. */
export const ROOT_ID: [number, number] = [0, 0];
