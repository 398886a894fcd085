import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isKilnError } from '@kiln/model';
import { gunzip, gunzipTransient, keepsInflateBuffer, KEPT_INFLATE_MAX_BYTES } from './gzip.js';
import { parsePprof } from './pprof.js';
import { testdata } from './test-helpers/round-trip.js';

const goCpu = readFileSync(testdata('go/cpu.pb.gz'));
const nodeWall = readFileSync(testdata('pyroscope-nodejs/wall-cpu-001.pprof.gz'));

function throwsCode(fn: () => unknown, ...codes: string[]): void {
  assert.throws(fn, (err) => isKilnError(err) && codes.includes(err.code));
}

function sameBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.length, expected.length);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), 'the same bytes');
}

/** `bytes` with the gzip trailer's recorded size (ISIZE) replaced by `size`. */
function withRecordedSize(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setUint32(out.length - 4, size, true);
  return out;
}

test('on this Node, gunzipTransient inflates into its kept buffer', () => {
  // Node 20 is what Kiln runs on; losing the kept buffer would cost ingest ~5 % unseen.
  assert.equal(keepsInflateBuffer(), true);
});

test('gunzipTransient gives what gunzip gives, call after call, and reuses its buffer', () => {
  const a = gunzip(goCpu, 1 << 26);
  const b = gunzip(nodeWall, 1 << 26);
  const first = gunzipTransient(goCpu, 1 << 26);
  sameBytes(first, a);
  const buffer = first.buffer;
  sameBytes(gunzipTransient(nodeWall, 1 << 26), b);
  const third = gunzipTransient(goCpu, 1 << 26);
  sameBytes(third, a);
  assert.equal(third.buffer, buffer, 'the same buffer, not a new one');
});

test('gunzipTransient: several members and big outputs inflate right', () => {
  const raw = gunzip(goCpu, 1 << 26);
  // Two gzip members, as `cat a.gz b.gz` makes: both, in order.
  const two = Buffer.concat([gzipSync(raw.subarray(0, 1000)), gzipSync(raw.subarray(1000))]);
  sameBytes(gunzipTransient(two, 1 << 26), raw);
  // Larger than the kept buffer may grow: an allocation of its own, the same bytes.
  const big = new Uint8Array(KEPT_INFLATE_MAX_BYTES + 10).map((_, i) => i % 251);
  const out = gunzipTransient(gzipSync(big), 1 << 26);
  sameBytes(out, big);
  assert.equal(gunzipTransient(goCpu, 1 << 26).length, raw.length);
});

test('gunzipTransient: limits and corrupt input are the named errors, and the next call works', () => {
  const raw = gunzip(goCpu, 1 << 26);
  throwsCode(() => gunzipTransient(goCpu, raw.length - 1), 'ERR_FORMAT_TOO_LARGE');
  // A trailer that lies about the size (zlib checks it): an error, never more than the limit.
  for (const size of [10, raw.length - 100, raw.length + 100]) {
    throwsCode(
      () => gunzipTransient(withRecordedSize(goCpu, size), raw.length - 1),
      'ERR_FORMAT_TOO_LARGE',
      'ERR_FORMAT_BAD_GZIP',
    );
    throwsCode(() => gunzipTransient(withRecordedSize(goCpu, size), 1 << 26), 'ERR_FORMAT_BAD_GZIP');
  }
  const corrupt = new Uint8Array(goCpu);
  for (let i = 40; i < 60; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
  throwsCode(() => gunzipTransient(corrupt, 1 << 26), 'ERR_FORMAT_BAD_GZIP');
  throwsCode(() => gunzipTransient(goCpu.subarray(0, goCpu.length - 100), 1 << 26), 'ERR_FORMAT_BAD_GZIP');
  // And through the kept buffer still (reset after each error), not by falling back to gunzip.
  const after = gunzipTransient(goCpu, raw.length);
  sameBytes(after, raw);
  assert.equal(after.buffer, gunzipTransient(nodeWall, 1 << 26).buffer);
});

test('gunzipTransient: members that fit the kept buffer together but not the limit are refused', () => {
  // The kept buffer has grown past 100 KB; the trailer records only the last member's size.
  gunzipTransient(gzipSync(new Uint8Array(200_000)), 1 << 26);
  const twoMembers = Buffer.concat([gzipSync(new Uint8Array(100_000)), gzipSync(Uint8Array.of(1))]);
  throwsCode(() => gunzipTransient(twoMembers, 1000), 'ERR_FORMAT_TOO_LARGE');
  assert.equal(gunzipTransient(twoMembers, 1 << 26).length, 100_001);
});

test('parsePprof keeps nothing of the kept buffer: a profile survives the next parse', () => {
  const first = parsePprof(goCpu)!;
  const snapshot = JSON.stringify({ strings: first.strings, stack: [...first.samples.stack] });
  parsePprof(nodeWall);
  assert.equal(JSON.stringify({ strings: first.strings, stack: [...first.samples.stack] }), snapshot);
});
