import { decodeUtf8 } from './utf8.js';

/** True when the bytes look like text: no NUL and few control bytes in the first 4 KiB. */
export function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return false;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control * 100 <= n;
}

/** The bytes as a string (UTF-8, BOM dropped). */
export function bytesToText(bytes: Uint8Array): string {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return decodeUtf8(bytes, start, bytes.length);
}

/** The first `count` non-empty lines of the first 64 KiB, for sniffing. */
export function firstLines(bytes: Uint8Array, count: number): string[] {
  const head = bytesToText(bytes.subarray(0, Math.min(bytes.length, 65_536)));
  const lines: string[] = [];
  for (const line of head.split('\n')) {
    if (line.trim() === '') continue;
    lines.push(line.replace(/\r$/, ''));
    if (lines.length === count) break;
  }
  return lines;
}
