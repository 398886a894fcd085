import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nameId, nameIdOfBytes, nameIdOfText } from './name-id.js';

const utf8 = new TextEncoder();

function ofBytes(bytes: Uint8Array): [number, number, boolean] {
  const hi = new Uint32Array(1);
  const lo = new Uint32Array(1);
  const ascii = nameIdOfBytes(bytes, 0, bytes.length, hi, lo, 0);
  return [hi[0]!, lo[0]!, ascii];
}

test('a name has the same id from its text and from its UTF-8 bytes, at any offset', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat({ max: 7 }), (text, pad) => {
      const bytes = utf8.encode(text);
      const [hi, lo, ascii] = ofBytes(bytes);
      assert.deepEqual(nameId(text), [hi, lo]);
      assert.equal(
        ascii,
        [...text].every((c) => c.charCodeAt(0) < 0x80),
      );
      // The same bytes inside a larger buffer (a pprof string table).
      const big = new Uint8Array(pad + bytes.length + 3).fill(0xaa);
      big.set(bytes, pad);
      const h = new Uint32Array(2);
      const l = new Uint32Array(2);
      nameIdOfBytes(big, pad, pad + bytes.length, h, l, 1);
      assert.deepEqual([h[1], l[1]], [hi, lo]);
      nameIdOfText(text, h, l, 0);
      assert.deepEqual([h[0], l[0]], [hi, lo]);
    }),
  );
});

test('names that differ in one byte, or only in length (a zero-padded tail), differ in both halves', () => {
  const seen = new Map<string, string>();
  const names = ['', '\0', '\0\0', '\0\0\0', '\0\0\0\0', 'a', 'a\0', 'main', 'main.', 'main.main'];
  for (let n = 0; n < 12; n++) names.push('x'.repeat(n) + 'y', 'y' + 'x'.repeat(n));
  for (const name of new Set(names)) {
    const [hi, lo] = nameId(name);
    for (const [half, value] of [
      ['hi', hi],
      ['lo', lo],
    ] as const) {
      const key = `${half}:${value}`;
      assert.equal(seen.get(key), undefined, `${JSON.stringify(name)} shares its ${half} half with ${seen.get(key)}`);
      seen.set(key, JSON.stringify(name));
    }
  }
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 24 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (b, at, d) => {
        const other = b.slice();
        const i = at % b.length;
        other[i] = other[i]! ^ d;
        const [h1, l1] = ofBytes(b);
        const [h2, l2] = ofBytes(other);
        assert.notEqual(h1, h2);
        assert.notEqual(l1, l2);
      },
    ),
  );
});
