import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { detectFormat, parseProfile } from './detect.js';
import { gzip } from './gzip.js';
import { testdata } from './test-helpers/round-trip.js';

const cases: [string, string][] = [
  ['go/cpu.pb.gz', 'pprof'],
  ['pyroscope-nodejs/wall-cpu-001.pprof.gz', 'pprof'],
  ['perf/c/burn.perf-script.txt', 'perf-script'],
  ['perf/go/loadgen.perf-script.txt', 'perf-script'],
  ['perf/node/app.perf-script.txt', 'perf-script'],
  ['perf/c-shared/c-frame-pointer.perf-script.txt', 'perf-script'],
];

for (const [file, format] of cases) {
  test(`detects ${file} as ${format}, with and without its name`, () => {
    const bytes = readFileSync(testdata(file));
    assert.equal(detectFormat(bytes), format);
    assert.equal(detectFormat(bytes, file), format);
    assert.equal(parseProfile(bytes, { filename: file }).format, format);
  });
}

test('gzip is looked through for every format', () => {
  const text = new TextEncoder().encode('main;a 1\n');
  assert.equal(detectFormat(gzip(text)), 'folded');
  assert.equal(parseProfile(gzip(text)).format, 'folded');
});

test('JSON shapes: speedscope and flamebearer are told apart, other JSON is unknown', () => {
  const speedscope =
    '{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[]},"profiles":[]}';
  const flamebearer = '{"version":1,"flamebearer":{"names":["total"],"levels":[[0,0,0,0]],"numTicks":0,"maxSelf":0}}';
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(detectFormat(enc(speedscope)), 'speedscope');
  assert.equal(detectFormat(enc(flamebearer)), 'flamebearer');
  assert.equal(detectFormat(enc('{"nodes":[],"samples":[],"timeDeltas":[]}')), null);
});

test('a misleading file name does not override magic bytes', () => {
  assert.equal(detectFormat(readFileSync(testdata('go/cpu.pb.gz')), 'cpu.folded'), 'pprof');
});
