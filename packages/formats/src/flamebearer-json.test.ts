import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildCallTree, isKilnError } from '@kiln/model';
import { parseFlamebearerJson, serializeFlamebearer, type FlamebearerProfile } from './flamebearer-json.js';
import { parseFolded } from './folded.js';
import { parsePprof } from './pprof.js';
import { assertRoundTrip, testdata } from './test-helpers/round-trip.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('flamebearer JSON of real captures round-trips', () => {
  for (const fixture of ['go/cpu.pb.gz', 'go/allocs.pb.gz', 'pyroscope-nodejs/heap-002.pprof.gz']) {
    const profile = parsePprof(readFileSync(testdata(fixture)))!;
    const json = serializeFlamebearer(profile, { maxNodes: 1_000_000 });
    const back = parseFlamebearerJson(enc(json))!;
    assert.deepEqual(buildCallTree(back).toFolded(), buildCallTree(profile).toFolded(), fixture);
    assert.deepEqual(back.sampleTypes, [profile.sampleTypes[profile.defaultSampleType]]);
    const golden = testdata('goldens', 'flamebearer', fixture.replace(/\//g, '__') + '.txt');
    assertRoundTrip(
      back,
      golden,
      (p) => serializeFlamebearer(p, { maxNodes: 0 }),
      (b) => parseFlamebearerJson(b),
    );
  }
});

test('metadata follows Pyroscope: cpu as samples at 1e9, object counts as objects', () => {
  const cpu = parsePprof(readFileSync(testdata('go/cpu.pb.gz')))!;
  const doc = JSON.parse(serializeFlamebearer(cpu)) as FlamebearerProfile;
  assert.deepEqual(doc.metadata, { format: 'single', spyName: '', sampleRate: 1e9, units: 'samples', name: 'cpu' });
  assert.equal(doc.flamebearer.names[0], 'total');
  assert.equal(doc.version, 1);
  const heap = parsePprof(readFileSync(testdata('go/heap.pb.gz')))!;
  const objects = JSON.parse(serializeFlamebearer(heap, { sampleType: 2 })) as FlamebearerProfile;
  assert.equal(objects.metadata.units, 'objects');
  assert.equal(objects.metadata.name, 'inuse_objects');
});

test('maxNodes defaults to 8192 and keeps the total', () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => `main;f${i} ${i + 1}`).join('\n');
  const profile = parseFolded(enc(lines))!;
  const doc = JSON.parse(serializeFlamebearer(profile)) as FlamebearerProfile;
  const nodes = doc.flamebearer.levels.reduce((n, l) => n + l.length / 4, 0);
  assert.ok(nodes <= 8193, `${nodes} nodes`);
  assert.equal(doc.flamebearer.numTicks, (10_000 * 10_001) / 2);
});

test('a diff flamebearer is refused with a named error', () => {
  const json =
    '{"version":1,"flamebearer":{"names":["total"],"levels":[[0,0,0,0,0,0,0]],"numTicks":0,"maxSelf":0},"metadata":{"format":"double"}}';
  assert.throws(
    () => parseFlamebearerJson(enc(json)),
    (err) => isKilnError(err, 'ERR_FORMAT_UNSUPPORTED'),
  );
});

test('a level pointing outside its parents, or of the wrong length, is ERR_FORMAT_INVALID', () => {
  const outside = '{"flamebearer":{"names":["total","a"],"levels":[[0,3,0,0],[5,3,3,1]],"numTicks":3,"maxSelf":3}}';
  assert.throws(
    () => parseFlamebearerJson(enc(outside)),
    (err) => isKilnError(err, 'ERR_FORMAT_INVALID') && /lies under no node/.test(err.message),
  );
  const short = '{"flamebearer":{"names":["total"],"levels":[[0,3,0]],"numTicks":3,"maxSelf":3}}';
  assert.throws(
    () => parseFlamebearerJson(enc(short)),
    (err) => isKilnError(err, 'ERR_FORMAT_INVALID'),
  );
});
