import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { isKilnError } from '@kiln/model';
import { parseProfile } from './detect.js';
import { parseFlamebearerJson } from './flamebearer-json.js';
import { parseFolded } from './folded.js';
import { gunzip } from './gzip.js';
import { parsePerfScript } from './perf-script.js';
import { decodePprof, parsePprof } from './pprof.js';
import { parseSpeedscope } from './speedscope.js';
import { testdata } from './test-helpers/round-trip.js';

/**
 * Random, truncated and mutated input never crashes or hangs a parser: each call returns a
 * profile, returns null ("not mine"), or throws a KilnError whose code is ERR_FORMAT_*.
 */
const parsers: Record<string, (b: Uint8Array) => unknown> = {
  pprof: (b) => parsePprof(b),
  // The decoder itself, past the sniff that rejects most random bytes early.
  'pprof decoder': (b) => decodePprof(b),
  folded: (b) => parseFolded(b),
  'perf-script': (b) => parsePerfScript(b),
  speedscope: (b) => parseSpeedscope(b),
  flamebearer: (b) => parseFlamebearerJson(b),
  detect: (b) => parseProfile(b),
};

// Uncompressed real inputs, so that mutations hit the format rather than gzip's checksum.
const seeds: [string, Uint8Array][] = [
  ['go cpu', gunzip(readFileSync(testdata('go/cpu.pb.gz')), 1 << 26)],
  ['go heap', gunzip(readFileSync(testdata('go/heap.pb.gz')), 1 << 26)],
  ['node wall', gunzip(readFileSync(testdata('pyroscope-nodejs/wall-cpu-001.pprof.gz')), 1 << 26)],
  ['perf c', readFileSync(testdata('perf/c/burn.perf-script.txt')).subarray(0, 20_000)],
  ['folded', new TextEncoder().encode('main;a;b 10\nmain;a;c 5\nmain;d 1\n')],
  [
    'flamebearer',
    new TextEncoder().encode(
      '{"version":1,"flamebearer":{"names":["total","a","b"],"levels":[[0,3,0,0],[0,3,1,1],[1,2,2,2]],"numTicks":3,"maxSelf":2},"metadata":{"format":"single","units":"samples","name":"cpu","sampleRate":100,"spyName":""}}',
    ),
  ],
  [
    'speedscope',
    new TextEncoder().encode(
      '{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":[{"type":"sampled","name":"p","unit":"none","startValue":0,"endValue":3,"samples":[[0],[0,1]],"weights":[1,2]}]}',
    ),
  ],
];

function expectParsedOrNamed(parse: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  const started = performance.now();
  try {
    parse(bytes);
  } catch (err) {
    if (!(isKilnError(err) && err.code.startsWith('ERR_FORMAT_'))) {
      throw new Error(`not a named error: ${(err as Error).stack}`, { cause: err });
    }
    assert.ok(err.message.length > 10, 'the message says what is wrong');
  }
  // A hang guard, not a speed target: every input here parses in milliseconds.
  assert.ok(performance.now() - started < 5_000, 'parser took over 5 s');
}

for (const [name, parse] of Object.entries(parsers)) {
  test(`${name}: random bytes end in a profile, null or a named error`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => expectParsedOrNamed(parse, bytes)),
      { numRuns: 300 },
    );
  });

  test(`${name}: truncated and mutated real files end in a profile, null or a named error`, () => {
    for (const [, seed] of seeds) {
      fc.assert(
        fc.property(
          // Half the runs keep the whole file, so mutations reach the decoder's deep paths.
          fc.oneof(fc.constant(seed.length), fc.integer({ min: 0, max: seed.length })),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
          (cut, mutations) => {
            const bytes = seed.slice(0, cut);
            for (const [at, value] of mutations) if (bytes.length > 0) bytes[at % bytes.length] = value;
            expectParsedOrNamed(parse, bytes);
          },
        ),
        { numRuns: 100 },
      );
    }
  });
}

test('random text lines end in a profile, null or a named error', () => {
  const line = fc.stringMatching(/^[a-z;:() [\]+0-9.\t/-]{0,60}$/);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
      const bytes = new TextEncoder().encode(lines.join('\n'));
      for (const parse of Object.values(parsers)) expectParsedOrNamed(parse, bytes);
    }),
    { numRuns: 200 },
  );
});
