type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;

// Node's Buffer decodes short UTF-8 ranges several times faster than TextDecoder, which
// matters when a profile has 10,000 symbol strings; browsers fall back to TextDecoder.
const nodeUtf8Slice: Utf8Slice | undefined = (globalThis as { Buffer?: { prototype: { utf8Slice?: Utf8Slice } } })
  .Buffer?.prototype.utf8Slice;
const decoder = new TextDecoder();

/** Decodes `bytes[start..end)` as UTF-8; invalid sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  if (nodeUtf8Slice !== undefined) return nodeUtf8Slice.call(bytes, start, end);
  return decoder.decode(bytes.subarray(start, end));
}

/** UTF-8 byte length of a string without encoding it; a surrogate pair counts 4 bytes. */
export function utf8ByteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 || (c & 0xf800) === 0xd800 ? 1 : 2;
  }
  return n;
}
