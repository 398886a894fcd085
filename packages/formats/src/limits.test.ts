import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { isKilnError } from '@kiln/model';
import { parseProfile } from './detect.js';
import { parseFolded } from './folded.js';
import { DEFAULT_DECODE_LIMITS } from './limits.js';
import { parsePprof } from './pprof.js';
import { testdata } from './test-helpers/round-trip.js';

const goHeap = readFileSync(testdata('go/heap.pb.gz'));

function throwsCode(fn: () => unknown, code: string, limit?: string): void {
  assert.throws(fn, (err) => {
    assert.ok(isKilnError(err), `not a KilnError: ${err}`);
    assert.equal(err.code, code);
    if (limit) assert.match(err.message, new RegExp(limit));
    return true;
  });
}

test('every limit has a default', () => {
  for (const [name, value] of Object.entries(DEFAULT_DECODE_LIMITS)) {
    assert.ok(Number.isInteger(value) && value > 0, name);
  }
});

test('a gzip bomb is refused without being inflated whole', () => {
  // 64 MiB of zeros gzips to about 64 KiB.
  const bomb = gzipSync(new Uint8Array(64 * 1024 * 1024));
  const before = process.memoryUsage().arrayBuffers;
  throwsCode(
    () => parseProfile(bomb, { limits: { maxDecompressedBytes: 1024 * 1024 } }),
    'ERR_FORMAT_TOO_LARGE',
    'maxDecompressedBytes',
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 32 * 1024 * 1024, 'inflated far past the limit');
});

test('corrupt gzip is a named error', () => {
  const broken = Uint8Array.from(goHeap);
  broken.fill(0x55, 20, 60);
  throwsCode(() => parsePprof(broken), 'ERR_FORMAT_BAD_GZIP');
});

test('pprof: too many samples', () => {
  throwsCode(
    () => parsePprof(goHeap, { limits: { maxSamples: 10 } }),
    'ERR_FORMAT_TOO_MANY_SAMPLES',
    'maxSamples is 10',
  );
});

test('pprof: stack too deep', () => {
  throwsCode(() => parsePprof(goHeap, { limits: { maxStackDepth: 3 } }), 'ERR_FORMAT_STACK_TOO_DEEP', 'sample \\d+');
});

test('pprof: string too long', () => {
  throwsCode(() => parsePprof(goHeap, { limits: { maxStringBytes: 8 } }), 'ERR_FORMAT_STRING_TOO_LONG', 'offset');
});

test('pprof: too many strings, functions, locations', () => {
  throwsCode(() => parsePprof(goHeap, { limits: { maxStrings: 5 } }), 'ERR_FORMAT_TOO_MANY_STRINGS');
  throwsCode(() => parsePprof(goHeap, { limits: { maxFunctions: 5 } }), 'ERR_FORMAT_TOO_MANY_FUNCTIONS');
  throwsCode(() => parsePprof(goHeap, { limits: { maxLocations: 5 } }), 'ERR_FORMAT_TOO_MANY_LOCATIONS');
});

test('pprof: decompressed size of an uncompressed profile counts too', () => {
  const raw = parsePprof(goHeap)!;
  assert.ok(raw);
  throwsCode(() => parsePprof(goHeap, { limits: { maxDecompressedBytes: 1000 } }), 'ERR_FORMAT_TOO_LARGE');
});

test('folded: limits on samples, depth, string length and functions', () => {
  const text = new TextEncoder().encode('a;b;c;d 1\na;b;e 2\nf 3\n');
  throwsCode(() => parseFolded(text, { limits: { maxSamples: 2 } }), 'ERR_FORMAT_TOO_MANY_SAMPLES');
  throwsCode(() => parseFolded(text, { limits: { maxStackDepth: 3 } }), 'ERR_FORMAT_STACK_TOO_DEEP');
  throwsCode(() => parseFolded(text, { limits: { maxStringBytes: 5 } }), 'ERR_FORMAT_STRING_TOO_LONG', 'line 1');
  throwsCode(() => parseFolded(text, { limits: { maxFunctions: 4 } }), 'ERR_FORMAT_TOO_MANY_FUNCTIONS');
});

test('unknown input is ERR_FORMAT_UNKNOWN', () => {
  throwsCode(() => parseProfile(new TextEncoder().encode('hello\nworld\n')), 'ERR_FORMAT_UNKNOWN');
  throwsCode(() => parseProfile(Uint8Array.from([0xff, 0xfe, 0, 1, 2])), 'ERR_FORMAT_UNKNOWN');
});
