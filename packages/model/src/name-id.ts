/**
 * The content id of a name: a 64-bit hash of its UTF-8 bytes, held as two uint32 halves. Storage
 * ids functions by it (a stack's id then mixes its parent's and its function's), and any writer
 * computes the same id for the same name. It is defined on bytes so that ingest can hash a pprof
 * string table where it lies, before (or without) making JS strings of it: nameIdOfBytes over
 * the bytes and nameIdOfText over the decoded string give the same id.
 *
 * Each half reads the bytes four at a time (little-endian words, the last one zero-padded) and
 * mixes each word in a short chain of its own, so the CPU runs both halves side by side at about
 * one and a half cycles per byte. A word step is a bijection of the state for a fixed word, so
 * two names of one length that differ in one word always differ in both halves; the length is
 * mixed in at the end. Changing any of this changes every stored id (storage FORMAT_VERSION).
 */

/**
 * `hi[at]`, `lo[at]` = the id of bytes[from .. to). Returns whether the bytes are all ASCII: a
 * caller hashing bytes that may not be valid UTF-8 re-hashes the decoded text when not (the
 * decoder's replacement characters are what the name is).
 */
export function nameIdOfBytes(
  bytes: Uint8Array,
  from: number,
  to: number,
  hi: Uint32Array,
  lo: Uint32Array,
  at: number,
): boolean {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  let high = 0;
  let i = from;
  for (const last = to - 3; i < last; i += 4) {
    const w = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    high |= w;
    a = mixA(a, w);
    b = mixB(b, w);
  }
  if (i < to) {
    let w = 0;
    for (let s = 0; i < to; i++, s += 8) w |= bytes[i]! << s;
    high |= w;
    a = mixA(a, w);
    b = mixB(b, w);
  }
  finish(a, b, to - from, hi, lo, at);
  return (high & 0x80808080) === 0;
}

const encoder = new TextEncoder();

/** `hi[at]`, `lo[at]` = the id of `text`'s UTF-8 bytes, as nameIdOfBytes of them. */
export function nameIdOfText(text: string, hi: Uint32Array, lo: Uint32Array, at: number): void {
  const n = text.length;
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  // ASCII, the usual case: the characters are the bytes. Any other character: hash the bytes.
  let high = 0;
  let i = 0;
  for (const last = n - 3; i < last; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    high |= c0 | c1 | c2 | c3;
    const w = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    a = mixA(a, w);
    b = mixB(b, w);
  }
  if (i < n) {
    let w = 0;
    for (let s = 0; i < n; i++, s += 8) {
      const c = text.charCodeAt(i);
      high |= c;
      w |= c << s;
    }
    a = mixA(a, w);
    b = mixB(b, w);
  }
  if (high < 0x80) {
    finish(a, b, n, hi, lo, at);
    return;
  }
  // TextEncoder writes a lone surrogate as U+FFFD, as a UTF-8 decoder reads invalid bytes: the
  // name then shares the id of the same text with U+FFFD in its place.
  const bytes = encoder.encode(text);
  nameIdOfBytes(bytes, 0, bytes.length, hi, lo, at);
}

/** nameIdOfText as [high, low]. */
export function nameId(text: string): [number, number] {
  const hi = new Uint32Array(1);
  const lo = new Uint32Array(1);
  nameIdOfText(text, hi, lo, 0);
  return [hi[0]!, lo[0]!];
}

function mixA(a: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  a ^= Math.imul(k, 0x1b873593);
  a = (a << 13) | (a >>> 19);
  return (Math.imul(a, 5) + 0xe6546b64) | 0;
}

function mixB(b: number, w: number): number {
  b = Math.imul(b ^ w, 0x5bd1e995);
  return b ^ (b >>> 15);
}

function finish(a: number, b: number, length: number, hi: Uint32Array, lo: Uint32Array, at: number): void {
  hi[at] = fmix(a ^ length);
  lo[at] = fmix(b + Math.imul(length, 0x27d4eb2f));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
