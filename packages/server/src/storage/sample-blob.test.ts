import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeSamples, encodeSamples, sumSamples } from './sample-blob.js';

function decode(blob: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  decodeSamples(blob, (s, v) => out.set(s, (out.get(s) ?? 0) + v));
  return out;
}

test('samples round-trip: sorted, repeats merged, integers and floats exact', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 5_000_000 }),
          fc.oneof(fc.integer({ min: -1e12, max: 1e12 }), fc.double({ noNaN: true, min: -1e12, max: 1e12 })),
        ),
        { maxLength: 200 },
      ),
      (pairs) => {
        const stacks = Int32Array.from(pairs.map((p) => p[0]));
        const values = Float64Array.from(pairs.map((p) => p[1]));
        const want = new Map<number, number>();
        for (const [s, v] of pairs) want.set(s, (want.get(s) ?? 0) + v);
        const got = decode(encodeSamples(stacks, values, pairs.length));
        assert.deepEqual(
          [...got.keys()].sort((a, b) => a - b),
          [...want.keys()].sort((a, b) => a - b),
        );
        for (const [s, v] of want) assert.equal(got.get(s), v);
      },
    ),
  );
});

test('integer samples cost a few bytes each', () => {
  const n = 1000;
  const stacks = Int32Array.from({ length: n }, (_, i) => i * 37);
  const values = Float64Array.from({ length: n }, (_, i) => 10_000_000 * (1 + (i % 20)));
  const blob = encodeSamples(stacks, values, n);
  assert.ok(blob.length < n * 6, `${blob.length} bytes for ${n} samples`);
  assert.equal(
    sumSamples(blob),
    values.reduce((a, b) => a + b, 0),
  );
});
