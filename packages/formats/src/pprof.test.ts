import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import {
  buildCallTree,
  isKilnError,
  mergeProfiles,
  nameId,
  ProfileBuilder,
  selectTopFunctions,
  sumValues,
} from '@kiln/model';
import { parsePprof } from './pprof.js';
import { serializePprof } from './pprof-serialize.js';
import { assertRoundTrip, testdata } from './test-helpers/round-trip.js';

const pprofFixtures = [
  ...['go', 'go-shared'].flatMap((d) =>
    readdirSync(testdata(d))
      .filter((f) => f.endsWith('.pb.gz'))
      .map((f) => join(d, f)),
  ),
  ...['pyroscope-nodejs', 'pyroscope-nodejs/fresh'].flatMap((d) =>
    readdirSync(testdata(d))
      .filter((f) => f.endsWith('.pprof.gz'))
      .map((f) => join(d, f)),
  ),
];

test('there are pprof fixtures to test', () => {
  assert.ok(pprofFixtures.length >= 12, `found ${pprofFixtures.length}`);
});

for (const fixture of pprofFixtures) {
  test(`pprof round trip: ${fixture}`, () => {
    const profile = parsePprof(readFileSync(testdata(fixture)));
    assert.ok(profile, 'not recognised as pprof');
    const golden = testdata('goldens', 'pprof', fixture.replace(/\//g, '__') + '.txt');
    assertRoundTrip(
      profile,
      golden,
      (p) => serializePprof(p),
      (b) => parsePprof(b),
    );
    // Uncompressed output is pprof too.
    const raw = serializePprof(profile, { gzip: false });
    assert.equal(raw[0], 0x0a, 'starts with a sample_type field');
    assert.deepEqual(parsePprof(raw)?.sampleTypes, profile.sampleTypes);
  });
}

/**
 * `go tool pprof -top` goldens (testdata/go/regenerate.sh makes them): every function's flat
 * and cum must equal Kiln's self and total for it. pprof marks inlined functions with
 * " (inline)" or " (partial-inline)"; Kiln keeps one node per function name either way.
 */
const topGoldens = readdirSync(testdata('go')).filter((f) => f.endsWith('.top.txt'));

test('there are go tool pprof goldens', () => {
  assert.equal(topGoldens.length, 15);
});

for (const golden of topGoldens) {
  test(`flat and cum equal go tool pprof -top: ${golden}`, () => {
    const [profileName, sampleType] = basename(golden, '.top.txt').split('.') as [string, string];
    const profile = parsePprof(readFileSync(testdata('go', `${profileName}.pb.gz`)))!;
    const typeIndex = profile.sampleTypes.findIndex((t) => t.type === sampleType);
    assert.notEqual(typeIndex, -1);
    const ours = new Map(selectTopFunctions(buildCallTree(profile, { sampleType: typeIndex })).map((f) => [f.name, f]));
    const theirs = parseTop(readFileSync(testdata('go', golden), 'utf8'));
    assert.equal(theirs.total, sumValues(profile, typeIndex), 'total');
    assert.ok(theirs.rows.length > 0);
    for (const row of theirs.rows) {
      const f = ours.get(row.name);
      assert.ok(f, `function ${row.name} is missing`);
      assert.equal(f.self, row.flat, `flat of ${row.name}`);
      assert.equal(f.total, row.cum, `cum of ${row.name}`);
    }
    const nonZero = [...ours.values()].filter((f) => f.self !== 0 || f.total !== 0);
    assert.equal(nonZero.length, theirs.rows.filter((r) => r.flat !== 0 || r.cum !== 0).length, 'function count');
  });
}

function parseTop(text: string): { total: number; rows: { name: string; flat: number; cum: number }[] } {
  const total = Number(/of (\d+)(?:ns|B)? total/.exec(text)?.[1]);
  const rows: { name: string; flat: number; cum: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)(?:ns|B)?\s+[\d.e+-]+%\s+[\d.e+-]+%\s+(\d+)(?:ns|B)?\s+[\d.e+-]+%\s+(.+)$/.exec(line);
    if (m) rows.push({ flat: Number(m[1]), cum: Number(m[2]), name: m[3]!.replace(/ \((partial-)?inline\)$/, '') });
  }
  return { total, rows };
}

test('labels of the Node SDK upload become label sets', () => {
  const profile = parsePprof(readFileSync(testdata('pyroscope-nodejs/fresh/wall-cpu-001.pprof.gz')))!;
  const keys = new Set(profile.samples.labelSets.flat().map((l) => l.key));
  assert.ok(keys.has('handler'), `label keys: ${[...keys].join(',')}`);
});

test('inlined functions: a Go location carries several lines', () => {
  const profile = parsePprof(readFileSync(testdata('go/cpu.pb.gz')))!;
  const loc = profile.locations;
  let inlined = 0;
  for (let i = 0; i < loc.length; i++) if (loc.lineStart[i + 1]! - loc.lineStart[i]! > 1) inlined++;
  assert.ok(inlined > 0);
  assert.ok(profile.mappings.length > 0);
  assert.equal(profile.periodType?.type, 'cpu');
  assert.equal(profile.period, 10_000_000);
  assert.ok(profile.durationNs > 4e9);
  assert.ok(profile.timeNs > 1.7e18);
});

test('a profile keeps its own columns after other profiles are decoded (the decoder reuses scratch arrays)', () => {
  const files = pprofFixtures.map((f) => readFileSync(testdata(f)));
  const decoded = files.map((bytes) => parsePprof(bytes)!);
  for (const [i, bytes] of files.entries()) {
    assert.deepEqual(decoded[i], parsePprof(bytes), pprofFixtures[i]);
  }
});

test('comments survive pprof, packed (as Kiln and protobuf write them) or one field each', () => {
  const profile = parsePprof(readFileSync(testdata('go/cpu.pb.gz')))!;
  const commented = { ...profile, comments: ['first', 'second', 'third'] };
  const packed = serializePprof(commented, { gzip: false });
  assert.deepEqual(parsePprof(packed)!.comments, ['first', 'second', 'third']);
  // The same string indices as fields of their own (field 13, varint), after the packed ones.
  const indices = parsePprof(serializePprof(profile, { gzip: false }))!.strings;
  const at = (text: string): number => indices.indexOf(text);
  const unpacked = Uint8Array.from([
    ...serializePprof(profile, { gzip: false }),
    13 << 3,
    at('samples'),
    13 << 3,
    at('cpu'),
  ]);
  assert.deepEqual(parsePprof(unpacked)!.comments, ['samples', 'cpu']);
});

test('negative int64s (values, line numbers, time) survive pprof exactly, as 10-byte varints', () => {
  const profile = parsePprof(readFileSync(testdata('go/cpu.pb.gz')))!;
  const negatives = [-1, -2, -2049, -5000, -123456789, -(2 ** 40) - 5, -(2 ** 53 - 1), 2 ** 52 + 1];
  const values = Float64Array.from(profile.samples.values);
  negatives.forEach((v, i) => (values[i] = v));
  const lineNumber = Float64Array.from(profile.locations.lineNumber);
  lineNumber[0] = -7;
  const edited = {
    ...profile,
    timeNs: -1_000_000_007,
    samples: { ...profile.samples, values },
    locations: { ...profile.locations, lineNumber },
  };
  const bytes = serializePprof(edited, { gzip: false });
  // -1 is written as protobuf writes it (Go's reader expects the same): nine 0xff, then 0x01.
  assert.ok(Buffer.from(bytes).includes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])));
  const back = parsePprof(bytes)!;
  assert.deepEqual([...back.samples.values.subarray(0, negatives.length)], negatives);
  assert.equal(back.locations.lineNumber[0], -7);
  assert.equal(back.timeNs, -1_000_000_007);
});

test('many samples of many empty sample types are refused before their values are allocated', () => {
  // 20,000 empty sample_type and 20,000 empty sample messages: 80 KB of pprof that would
  // need 3.2 GB of values.
  const parts: number[] = [];
  for (let i = 0; i < 20_000; i++) parts.push((1 << 3) | 2, 0);
  for (let i = 0; i < 20_000; i++) parts.push((2 << 3) | 2, 0);
  parts.push((6 << 3) | 2, 0);
  assert.throws(
    () => parsePprof(Uint8Array.from(parts)),
    (err) =>
      isKilnError(err) && err.code === 'ERR_FORMAT_INVALID' && /need 400000000 bytes of values/.test(err.message),
  );
});

test("stringIds: each string's content id, hashed from the bytes, as the decoded text's", () => {
  for (const fixture of pprofFixtures) {
    const profile = parsePprof(readFileSync(testdata(fixture)), { stringIds: true })!;
    const ids = profile.stringIds!;
    assert.equal(ids.hi.length, profile.strings.length, fixture);
    profile.strings.forEach((s, i) => assert.deepEqual([ids.hi[i], ids.lo[i]], nameId(s), `${fixture}: ${s}`));
    assert.equal(parsePprof(readFileSync(testdata(fixture)))!.stringIds, undefined, 'only when asked');
  }
  // Not ASCII, and invalid UTF-8 (a lone 0xff): the id is that of the text the decoder made.
  const b = new ProfileBuilder({ sampleTypes: [{ type: 'samples', unit: 'count' }] });
  b.addStack(['main', 'café.naïve', 'brokenXname'], [1]);
  const bytes = serializePprof(b.build(), { gzip: false });
  const at = Buffer.from(bytes).indexOf('brokenXname') + 6;
  bytes[at] = 0xff;
  const profile = parsePprof(bytes, { stringIds: true })!;
  const broken = profile.strings.findIndex((s) => s.startsWith('broken'));
  assert.equal(profile.strings[broken], 'broken\ufffdname');
  profile.strings.forEach((s, i) =>
    assert.deepEqual([profile.stringIds!.hi[i], profile.stringIds!.lo[i]], nameId(s), s),
  );
  // No string table at all (a sample type of two unset fields): its one '' has an id too.
  const bare = parsePprof(Uint8Array.of(0x0a, 0x00), { stringIds: true })!;
  assert.deepEqual(bare.strings, ['']);
  assert.deepEqual([bare.stringIds!.hi[0], bare.stringIds!.lo[0]], nameId(''));
});

test('default sample type follows default_sample_type, else the last type', () => {
  const allocs = parsePprof(readFileSync(testdata('go/allocs.pb.gz')))!;
  assert.equal(allocs.sampleTypes[allocs.defaultSampleType]?.type, 'alloc_space');
  const heap = parsePprof(readFileSync(testdata('go/heap.pb.gz')))!;
  assert.equal(heap.sampleTypes[heap.defaultSampleType]?.type, 'inuse_space');
});

test('not pprof: text, JSON and empty input return null', () => {
  for (const text of ['main;work 1\n', '{"a":1}', '', 'hello world']) {
    assert.equal(parsePprof(new TextEncoder().encode(text)), null, text);
  }
});

test('a truncated pprof is a named error with an offset', () => {
  const raw = serializePprof(parsePprof(readFileSync(testdata('go/cpu.pb.gz')))!, { gzip: false });
  const cut = raw.subarray(0, Math.floor(raw.length * 0.6));
  assert.throws(
    () => parsePprof(cut),
    (err) => isKilnError(err) && err.code.startsWith('ERR_FORMAT_') && /offset \d+/.test(err.message),
  );
});

test('merging real profiles: heap and allocs add up per function, and survive pprof', () => {
  const heap = parsePprof(readFileSync(testdata('go/heap.pb.gz')))!;
  const allocs = parsePprof(readFileSync(testdata('go/allocs.pb.gz')))!;
  const merged = mergeProfiles([heap, allocs]);
  const back = parsePprof(serializePprof(merged))!;
  for (let t = 0; t < heap.sampleTypes.length; t++) {
    const want = new Map<string, number>();
    for (const p of [heap, allocs]) {
      for (const f of selectTopFunctions(buildCallTree(p, { sampleType: t }))) {
        want.set(f.name, (want.get(f.name) ?? 0) + f.self);
      }
    }
    for (const f of selectTopFunctions(buildCallTree(back, { sampleType: t }))) {
      assert.equal(f.self, want.get(f.name), `${heap.sampleTypes[t]!.type} self of ${f.name}`);
    }
  }
  assert.ok(merged.samples.length < heap.samples.length + allocs.samples.length, 'equal samples aggregate');
});
