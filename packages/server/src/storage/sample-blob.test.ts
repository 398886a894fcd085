import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BELOW_BLOB,
  decodeSamples,
  encodeSamples,
  isBelow,
  SampleBuffer,
  SampleEncoder,
  sumSamples,
} from './sample-blob.js';
import { radixOrder } from './radix-order.js';
import { StackSums } from './stack-sums.js';

function decode(blob: Uint8Array): Map<number, number> {
  const buffer = new SampleBuffer();
  const n = decodeSamples(blob, buffer);
  const out = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    assert.ok(i === 0 || buffer.stacks[i - 1]! < buffer.stacks[i]!, 'stacks ascending, each once');
    out.set(buffer.stacks[i]!, buffer.values[i]!);
  }
  return out;
}

/** The pairs summed per stack, in input order, without zero sums. */
function expected(pairs: readonly [number, number][]): Map<number, number> {
  const want = new Map<number, number>();
  for (const [s, v] of pairs) want.set(s, (want.get(s) ?? 0) + v);
  for (const [s, v] of want) if (v === 0) want.delete(s);
  return want;
}

const value = fc.oneof(
  fc.integer({ min: -1e12, max: 1e12 }),
  fc.integer({ min: -50, max: 50 }).map((k) => k * 10_000_000),
  fc.integer({ min: 0, max: 20 }).map((k) => k * 524_288),
  fc.constantFrom(0, 2 ** 52, -(2 ** 52), 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 60),
  fc.double({ noNaN: true, min: -1e12, max: 1e12 }),
);

test('samples round-trip: sorted, repeats merged, zeros dropped, integers and floats exact', () => {
  fc.assert(
    fc.property(
      // Stack indices of one to four bytes: the encoder's radix sort takes a pass per byte.
      fc.array(
        fc.tuple(
          fc.oneof(
            fc.integer({ min: 0, max: 300 }),
            fc.integer({ min: 0, max: 5_000_000 }),
            fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          ),
          value,
        ),
        { maxLength: 200 },
      ),
      fc.boolean(),
      (pairs, presorted) => {
        const input = presorted ? [...pairs].sort((a, b) => a[0] - b[0]) : pairs;
        const stacks = Int32Array.from(input.map((p) => p[0]));
        const values = Float64Array.from(input.map((p) => p[1]));
        const blob = encodeSamples(stacks, values, input.length);
        assert.equal(isBelow(blob), false);
        assert.deepEqual(decode(blob), expected(input));
      },
    ),
  );
});

test('one encoder for many blobs: each blob is its own, whatever the encoder does next', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000_000 }), value), { maxLength: 300 }), { maxLength: 6 }),
      (profiles) => {
        const encoder = new SampleEncoder();
        const blobs = profiles.map((pairs) =>
          encoder.encode(
            Int32Array.from(pairs, (p) => p[0]),
            Float64Array.from(pairs, (p) => p[1]),
            pairs.length,
          ),
        );
        blobs.forEach((blob, i) => assert.deepEqual(decode(blob), expected(profiles[i]!)));
      },
    ),
  );
});

test('values that share a factor (the sampling period) cost one byte each', () => {
  const n = 1000;
  const stacks = Int32Array.from({ length: n }, (_, i) => i * 37);
  const cpu = Float64Array.from({ length: n }, (_, i) => 10_000_000 * (1 + (i % 20)));
  const blob = encodeSamples(stacks, cpu, n);
  // One byte of stack delta and one of value per sample, plus a small header.
  assert.ok(blob.length <= 2 * n + 16, `${blob.length} bytes for ${n} samples`);
  assert.equal(
    sumSamples(blob),
    cpu.reduce((a, b) => a + b, 0),
  );
  const mixed = Float64Array.from(cpu, (v, i) => (i === 7 ? v + 1 : v));
  assert.ok(encodeSamples(stacks, mixed, n).length > 3 * n, 'no common factor: full varints');
});

test('StackSums adds blobs per stack and starts over after take()', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: -5, max: 9 })), { maxLength: 50 }),
        {
          maxLength: 8,
        },
      ),
      (blobs) => {
        const sums = new StackSums();
        for (let round = 0; round < 2; round++) {
          for (const pairs of blobs) {
            sums.addBlob(
              encodeSamples(
                Int32Array.from(pairs.map((p) => p[0])),
                Float64Array.from(pairs.map((p) => p[1])),
                pairs.length,
              ),
            );
          }
          const { stacks, values, count } = sums.take();
          const want = new Map<number, number>();
          for (const pairs of blobs) for (const [s, v] of expected(pairs)) want.set(s, (want.get(s) ?? 0) + v);
          const got = new Map<number, number>();
          for (let i = 0; i < count; i++) {
            assert.ok(i === 0 || stacks[i - 1]! < stacks[i]!, 'ascending');
            got.set(stacks[i]!, values[i]!);
          }
          assert.deepEqual(got, want, `round ${round}`);
        }
      },
    ),
  );
});

test('a BELOW cell is told apart from samples and has none of its own to decode', () => {
  assert.equal(isBelow(BELOW_BLOB), true);
  assert.throws(() => decodeSamples(BELOW_BLOB, new SampleBuffer()), /BELOW/);
});

test('radixOrder orders positions by keys of one to four bytes, stably', () => {
  const key = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 70_000 }),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.constantFrom(0, 7, 7 << 8, 7 << 16),
  );
  fc.assert(
    fc.property(fc.array(key, { maxLength: 300 }), fc.nat({ max: 5 }), (list, extra) => {
      const keys = Int32Array.from(list);
      const order = new Uint32Array(list.length + extra);
      const spare = new Uint32Array(list.length + extra);
      const out = radixOrder(keys, list.length, order, spare);
      assert.ok(out === order || out === spare);
      const want = list.map((_, i) => i).sort((a, b) => list[a]! - list[b]! || a - b);
      assert.deepEqual([...out.subarray(0, list.length)], want);
    }),
  );
});
