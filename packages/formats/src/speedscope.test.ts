import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildCallTree, isKilnError, ProfileBuilder, selectTopFunctions, sumValues, type Profile } from '@kiln/model';
import type { DecodeLimits } from './limits.js';
import { parsePerfScript } from './perf-script.js';
import { isSpeedscope, parseSpeedscope, serializeSpeedscope } from './speedscope.js';
import { assertRoundTrip, dumpProfile, repoRoot, testdata } from './test-helpers/round-trip.js';

// Goldens: testdata/goldens/speedscope/<fixture>.txt; regenerate with
// `UPDATE_GOLDENS=1 npm test -- speedscope` and review the diff.
// Hand-made fixtures at the top, and real/: files exported by speedscope 1.25.0 itself from real
// captures (testdata/speedscope/real/README.md says how).
const fixtures = [
  ...readdirSync(testdata('speedscope')).filter((f) => f.endsWith('.json')),
  ...readdirSync(testdata('speedscope', 'real'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `real/${f}`),
].sort();

const SCHEMA_URL = 'https://www.speedscope.app/file-format-schema.json';
const encode = (text: string) => new TextEncoder().encode(text);
const fixture = (name: string) => readFileSync(testdata('speedscope', name));
const reparse = (p: Profile) => parseSpeedscope(encode(serializeSpeedscope(p)));

function parse(json: unknown, limits?: Partial<DecodeLimits>): Profile {
  const profile = parseSpeedscope(encode(typeof json === 'string' ? json : JSON.stringify(json)), { limits });
  assert.ok(profile, 'not recognised as speedscope');
  return profile;
}

function folded(profile: Profile, sampleType = profile.defaultSampleType): string[] {
  return buildCallTree(profile, { sampleType }).toFolded();
}

/** A speedscope file with the given frame names and profiles. */
function file(frames: string[], ...profiles: object[]) {
  return { $schema: SCHEMA_URL, shared: { frames: frames.map((name) => ({ name })) }, profiles };
}

function sampled(samples: number[][], weights: number[], unit = 'none', name = 'p') {
  return { type: 'sampled', name, unit, startValue: 0, endValue: 0, samples, weights };
}

function evented(events: [string, number, number][], unit = 'none', name = 'p') {
  return {
    type: 'evented',
    name,
    unit,
    startValue: 0,
    endValue: 0,
    events: events.map(([type, frame, at]) => ({ type, frame, at })),
  };
}

function assertFormatError(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isKilnError(err), `not a KilnError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('there are speedscope fixtures to test', () => {
  assert.deepEqual(fixtures, [
    'evented.speedscope.json',
    'multi-profile.speedscope.json',
    'real/go-cpu.speedscope.json',
    'real/node-cpuprofile.speedscope.json',
    'real/perf-c-pid-tid.speedscope.json',
    'real/perf-c.speedscope.json',
    'sampled.speedscope.json',
  ]);
});

test("speedscope's own export of a Go CPU profile reads back with pprof's totals", () => {
  // speedscope exported go/cpu.pb.gz's cpu/nanoseconds as an evented profile whose time is
  // cumulative CPU time. It keeps only the outermost function of an inlined location, so time
  // of inlined functions moves to their inliner; every function pprof never saw inlined must
  // keep go tool pprof's cum exactly.
  const profile = parseSpeedscope(fixture('real/go-cpu.speedscope.json'))!;
  const tree = buildCallTree(profile);
  assert.equal(tree.totalValue, 7_000_000_000);
  const cum = new Map<string, number>();
  const top = readFileSync(testdata('go', 'cpu.cpu.top.txt'), 'utf8');
  for (const m of top.matchAll(/^\s*\d+ns\s+\S+%\s+\S+%\s+(\d+)ns\s+\S+%\s+(.+)$/gm)) {
    cum.set(m[2]!, Number(m[1]));
  }
  const ours = selectTopFunctions(tree).filter((f) => cum.has(f.name));
  for (const f of ours) assert.equal(f.total, cum.get(f.name), `cum of ${f.name}`);
  assert.ok(ours.length > 100, `checked ${ours.length}`);
});

test("speedscope's own export of perf script keeps one profile per thread", () => {
  const profile = parseSpeedscope(fixture('real/perf-c.speedscope.json'))!;
  const threads = new Set(
    profile.samples.labelSets
      .flat()
      .filter((l) => l.key === 'thread')
      .map((l) => l.str),
  );
  assert.equal(threads.size, 4);
  assert.ok(
    [...threads].some((t) => t?.startsWith('io worker')),
    [...threads].join(', '),
  );
});

for (const name of fixtures) {
  test(`speedscope round trip: ${name}`, () => {
    const profile = parseSpeedscope(fixture(name));
    assert.ok(profile, 'not recognised as speedscope');
    assertRoundTrip(profile, testdata('goldens', 'speedscope', `${name}.txt`), serializeSpeedscope, (b) =>
      parseSpeedscope(b),
    );
  });
}

test('sampled: milliseconds become wall nanoseconds, stacks are root first', () => {
  const profile = parseSpeedscope(fixture('sampled.speedscope.json'))!;
  assert.deepEqual(profile.sampleTypes, [{ type: 'wall', unit: 'nanoseconds' }]);
  assert.deepEqual(folded(profile), [
    '(garbage collector) 500000',
    'main;(anonymous) 250000',
    'main;evaluate 1500000',
    'main;evaluate;evaluate;evaluate 4000000',
    'main;parse 3000000',
    'main;parse;lex 3250000',
  ]);
  assert.equal(profile.durationNs, 12_500_000);
  assert.equal(profile.samples.length, 6, 'identical stacks are added up');
  const lex = [...profile.strings].indexOf('lex');
  const fn = profile.functions.name.indexOf(lex);
  assert.equal(profile.strings[profile.functions.filename[fn]!], '/app/parse.js');
  assert.equal(profile.functions.startLine[fn], 42);
});

test('evented: each span between events goes to the stack open during it', () => {
  const profile = parseSpeedscope(fixture('evented.speedscope.json'))!;
  assert.deepEqual(folded(profile), [
    'handleRequest 9000',
    'handleRequest;handleRequest 3000',
    'handleRequest;queryDb 7000',
    'handleRequest;queryDb;serialize 1000',
    'serialize 1000',
  ]);
  assert.equal(profile.durationNs, 26_000);
});

test('several profiles become one, labelled by thread, default from activeProfileIndex', () => {
  const profile = parseSpeedscope(fixture('multi-profile.speedscope.json'))!;
  assert.deepEqual(folded(profile), [
    'main;compute 1000000',
    'main;idle 3000000',
    'worker_loop 500000',
    'worker_loop;compute 3500000',
    'worker_loop;compute;compute 2000000',
    'worker_loop;io_wait 5000000',
  ]);
  const threads = profile.samples.labelSets.slice(1).map((s) => s.map((l) => `${l.key}=${l.str}`).join());
  assert.deepEqual(threads, ['thread=main thread', 'thread=worker 1', 'thread=worker 2']);

  const mixed = parse({
    ...file(['a', 'b'], sampled([[0]], [100], 'bytes', 'heap'), sampled([[1]], [2], 'milliseconds', 'cpu')),
    activeProfileIndex: 1,
  });
  assert.deepEqual(mixed.sampleTypes, [
    { type: 'space', unit: 'bytes' },
    { type: 'wall', unit: 'nanoseconds' },
  ]);
  assert.equal(mixed.defaultSampleType, 1);
  assert.deepEqual(folded(mixed, 0), ['a 100']);
  assert.deepEqual(folded(mixed, 1), ['b 2000000']);
});

test('evented events must nest: a bad close names its event index', () => {
  const frames = ['a', 'b'];
  assert.throws(
    () =>
      parse(
        file(
          frames,
          evented([
            ['O', 0, 0],
            ['O', 1, 1],
            ['C', 0, 2],
            ['C', 1, 3],
          ]),
        ),
      ),
    (err: unknown) =>
      isKilnError(err, 'ERR_FORMAT_INVALID') &&
      err.details['event'] === 2 &&
      err.message.includes('profiles[0].events[2] closes frame 0 ("a") but frame 1 ("b") is on top'),
  );
  assertFormatError(() => parse(file(frames, evented([['C', 0, 0]]))), 'ERR_FORMAT_INVALID', /no frame is open/);
  assertFormatError(() => parse(file(frames, evented([['O', 0, 0]]))), 'ERR_FORMAT_INVALID', /still open/);
  assertFormatError(
    () =>
      parse(
        file(
          frames,
          evented([
            ['O', 0, 5],
            ['C', 0, 4],
          ]),
        ),
      ),
    'ERR_FORMAT_INVALID',
    /events\[1\]\.at is 4, before/,
  );
  assertFormatError(() => parse(file(frames, evented([['X', 0, 0]]))), 'ERR_FORMAT_INVALID', /"O" or "C"/);
});

test('broken structure is a named error that says where', () => {
  const cases: [object, RegExp][] = [
    [file(['a'], sampled([[0, 1]], [1])), /profiles\[0\]\.samples\[0\]\[1\] is 1, not an index/],
    [file(['a'], sampled([[0]], [1, 2])), /weights is not an array as long as samples/],
    [file(['a'], sampled([[0]], [-1])), /weights\[0\] is -1/],
    [file(['a'], sampled([[0]], [1], 'furlongs')), /profiles\[0\]\.unit is "furlongs"/],
    [file(['a'], { ...sampled([[0]], [1]), type: 'tree' }), /profiles\[0\]\.type is "tree"/],
    [{ $schema: SCHEMA_URL, shared: {}, profiles: [] }, /shared\.frames is not an array/],
    [{ $schema: SCHEMA_URL, shared: { frames: [{ name: 7 }] }, profiles: [sampled([[0]], [1])] }, /frames\[0\]\.name/],
  ];
  for (const [json, message] of cases) assertFormatError(() => parse(json), 'ERR_FORMAT_INVALID', message);
});

test('broken JSON is truncated or invalid', () => {
  const text = fixture('sampled.speedscope.json').toString('utf8');
  assertFormatError(() => parse(text.slice(0, 300)), 'ERR_FORMAT_TRUNCATED');
  assertFormatError(() => parse(text.slice(0, 301).trimEnd()), 'ERR_FORMAT_TRUNCATED');
  assertFormatError(() => parse(text.replace('"shared":', '"shared" ')), 'ERR_FORMAT_INVALID');
});

test('other JSON and text is not speedscope', () => {
  const others = [
    '{"version":1,"flamebearer":{"names":["total"],"levels":[[0,1,0,0]],"numTicks":1,"maxSelf":1},"metadata":{}}',
    '{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"}}],"startTime":0,"endTime":1,"samples":[1],"timeDeltas":[1]}',
    '{"traceEvents":[]}',
    '[{"shared":1,"profiles":2}]',
    'main;work 42\n',
    'app 7 1.5: 10 cpu-clock:\n\t1 f (/a)\n',
    '',
  ];
  for (const text of others) {
    assert.equal(isSpeedscope(encode(text)), false, text);
    assert.equal(parseSpeedscope(encode(text)), null, text);
  }
  // A file that forgets $schema is still read by its shape.
  const noSchema = { shared: { frames: [{ name: 'a' }] }, profiles: [sampled([[0]], [1])] };
  assert.deepEqual(folded(parse(noSchema)), ['a 1']);
});

test('each limit produces its named error', () => {
  const json = file(['a', 'b', 'c'], sampled([[0, 1, 2], [0], [1]], [1, 1, 1]));
  assert.equal(parse(json).samples.length, 3);
  assertFormatError(() => parse(json, { maxSamples: 2 }), 'ERR_FORMAT_TOO_MANY_SAMPLES');
  assertFormatError(() => parse(json, { maxStackDepth: 2 }), 'ERR_FORMAT_STACK_TOO_DEEP');
  const deep = evented([
    ['O', 0, 0],
    ['O', 1, 1],
    ['O', 2, 2],
    ['C', 2, 3],
    ['C', 1, 4],
    ['C', 0, 5],
  ]);
  assertFormatError(() => parse(file(['a', 'b', 'c'], deep), { maxStackDepth: 2 }), 'ERR_FORMAT_STACK_TOO_DEEP');
  assertFormatError(() => parse(json, { maxFunctions: 2 }), 'ERR_FORMAT_TOO_MANY_FUNCTIONS');
  assertFormatError(() => parse(json, { maxLocations: 2 }), 'ERR_FORMAT_TOO_MANY_LOCATIONS');
  assertFormatError(
    () => parse(file(['é'.repeat(40)], sampled([[0]], [1])), { maxStringBytes: 79 }),
    'ERR_FORMAT_STRING_TOO_LONG',
  );
});

test('export: one sample type, inlined functions as frames, zero samples left out', () => {
  const b = new ProfileBuilder({
    sampleTypes: [
      { type: 'samples', unit: 'count' },
      { type: 'alloc_space', unit: 'bytes' },
    ],
    defaultSampleType: 1,
  });
  const main = b.addFunction({ name: 'main', filename: 'main.go', startLine: 3 });
  const inner = b.addFunction({ name: 'inlined', filename: 'util.go', startLine: 9 });
  const leaf = b.addLocation({
    lines: [
      { fn: inner, line: 10 },
      { fn: main, line: 5 },
    ],
    address: 0x1000,
  });
  const bare = b.addLocation({ lines: [], address: 0x2a });
  b.addSample([leaf], [1, 512]);
  b.addSample([bare, leaf], [1, 0]);
  const profile = b.build();
  const out = JSON.parse(serializeSpeedscope(profile, { name: 'heap' }));
  assert.equal(out.$schema, SCHEMA_URL);
  assert.equal(out.name, 'heap');
  assert.deepEqual(out.shared.frames, [
    { name: 'main', file: 'main.go', line: 3 },
    { name: 'inlined', file: 'util.go', line: 9 },
    { name: '0x2a' },
  ]);
  assert.deepEqual(out.profiles, [
    { type: 'sampled', name: 'heap', unit: 'bytes', startValue: 0, endValue: 512, samples: [[0, 1]], weights: [512] },
  ]);
  const counts = JSON.parse(serializeSpeedscope(profile, { sampleType: 0 }));
  assert.equal(counts.profiles[0].unit, 'none');
  assert.deepEqual(counts.profiles[0].samples, [
    [0, 1],
    [0, 1, 2],
  ]);
  assertFormatError(() => serializeSpeedscope(profile, { sampleType: 2 }), 'ERR_FORMAT_UNSUPPORTED');
});

test('perf script captures export to speedscope with the same flame graph', () => {
  for (const name of ['c/burn.perf-script.txt', 'node/app.perf-script.txt']) {
    const perf = parsePerfScript(readFileSync(testdata('perf', name)))!;
    const back = reparse(perf)!;
    assert.deepEqual(back.sampleTypes, [{ type: 'wall', unit: 'nanoseconds' }]);
    assert.deepEqual(folded(back), folded(perf), name);
    // endValue covers the recording, or the samples when CPU time of several threads is longer.
    assert.equal(back.durationNs, Math.max(perf.durationNs, sumValues(perf, perf.defaultSampleType)));
  }
});

// The official schema ships in the speedscope npm package, a dev dependency for this test.
const schemaPath = join(repoRoot, 'node_modules/speedscope/dist/release/file-format-schema.json');

test('exported files conform to the official speedscope schema', () => {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as JsonSchema;
  const check = (value: unknown) => validate(value, schema, schema, '$');
  assert.notDeepEqual(check({ $schema: SCHEMA_URL, shared: { frames: [{}] }, profiles: [{ type: 'x' }] }), []);
  for (const name of fixtures) assert.deepEqual(check(JSON.parse(fixture(name).toString('utf8'))), [], name);
  const exports = [
    ...fixtures.map((name) => parseSpeedscope(fixture(name))!),
    parsePerfScript(readFileSync(testdata('perf', 'go/loadgen.perf-script.txt')))!,
  ];
  for (const profile of exports) assert.deepEqual(check(JSON.parse(serializeSpeedscope(profile))), []);
});

interface JsonSchema {
  $ref?: string;
  anyOf?: JsonSchema[];
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  definitions?: Record<string, JsonSchema>;
}

/** The subset of JSON Schema draft 7 that speedscope's schema uses; returns the errors. */
function validate(value: unknown, schema: JsonSchema, root: JsonSchema, path: string): string[] {
  if (schema.$ref !== undefined) {
    const target = root.definitions?.[decodeURIComponent(schema.$ref.replace('#/definitions/', ''))];
    if (target === undefined) return [`${path}: unresolved ${schema.$ref}`];
    return validate(value, target, root, path);
  }
  if (schema.anyOf) {
    const results = schema.anyOf.map((s) => validate(value, s, root, path));
    return results.some((r) => r.length === 0) ? [] : [`${path}: matches no anyOf branch (${results.flat()[0]})`];
  }
  const errors: string[] = [];
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  const types: Record<string, boolean> = {
    object: isObject,
    array: Array.isArray(value),
    string: typeof value === 'string',
    number: typeof value === 'number' && Number.isFinite(value),
  };
  if (schema.type !== undefined && !types[schema.type]) return [`${path}: not a ${schema.type}`];
  if (schema.const !== undefined && value !== schema.const) errors.push(`${path}: not ${String(schema.const)}`);
  if (schema.enum !== undefined && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (isObject) {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) errors.push(`${path}.${key}: missing`);
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in object) errors.push(...validate(object[key], sub, root, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...validate(item, schema.items!, root, `${path}[${i}]`)));
  }
  return errors;
}

test('random bytes and mutated fixtures parse or throw a format error', () => {
  const inputs = fixtures.map((name) => fixture(name));
  fc.assert(
    fc.property(
      fc.nat(inputs.length - 1),
      fc.nat(3_000),
      fc.array(fc.tuple(fc.nat(3_000), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.uint8Array({ maxLength: 300 }),
      (which, cut, edits, noise) => {
        const bytes = new Uint8Array(inputs[which]!.subarray(0, cut));
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        for (const input of [bytes, noise, new Uint8Array([...encode(`{"$schema":"${SCHEMA_URL}",`), ...noise])]) {
          try {
            parseSpeedscope(input);
          } catch (err) {
            assert.ok(isKilnError(err) && err.code.startsWith('ERR_FORMAT_'), String(err));
          }
        }
      },
    ),
    { numRuns: 400 },
  );
});

const frameNames = fc.array(fc.constantFrom('', 'a', 'b', 'main', 'é', 'x;y', '(anonymous)'), {
  minLength: 1,
  maxLength: 6,
});

test('structurally random files parse or throw a format error', () => {
  const anyEvent = fc.record({
    type: fc.constantFrom('O', 'C', 'O', 'C', 'Z'),
    frame: fc.integer({ min: -1, max: 6 }),
    at: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(Number.NaN)),
  });
  const anyProfile = fc.oneof(
    fc.record({
      type: fc.constant('sampled'),
      name: fc.string(),
      unit: fc.constantFrom('none', 'bytes', 'seconds', 'minutes'),
      samples: fc.array(fc.array(fc.integer({ min: -1, max: 6 }), { maxLength: 5 }), { maxLength: 5 }),
      weights: fc.array(fc.oneof(fc.nat(100), fc.double()), { maxLength: 5 }),
    }),
    fc.record({
      type: fc.constant('evented'),
      name: fc.string(),
      unit: fc.constantFrom('none', 'microseconds'),
      events: fc.array(anyEvent, { maxLength: 12 }),
    }),
  );
  fc.assert(
    fc.property(frameNames, fc.array(anyProfile, { maxLength: 3 }), (names, profiles) => {
      try {
        parse(file(names, ...profiles));
      } catch (err) {
        assert.ok(isKilnError(err) && err.code.startsWith('ERR_FORMAT_'), String(err));
      }
    }),
    { numRuns: 400 },
  );
});

test('valid random files survive parse, serialize, parse', () => {
  // Well-nested events: each step opens a frame or closes the top one, time moves forward.
  const nested = fc.array(fc.tuple(fc.boolean(), fc.nat(5), fc.integer({ min: 1, max: 9 })), { minLength: 1 });
  const profileOf = (frames: number) =>
    fc.oneof(
      fc
        .array(fc.tuple(fc.array(fc.nat(frames - 1), { maxLength: 6 }), fc.integer({ min: 1, max: 1000 })), {
          minLength: 1,
          maxLength: 8,
        })
        .map((rows) => ({ samples: rows.map((r) => r[0]), weights: rows.map((r) => r[1]) })),
      nested.map((steps) => {
        const events: { type: string; frame: number; at: number }[] = [];
        const open: number[] = [];
        let at = 0;
        for (const [push, frame, dt] of steps) {
          at += dt;
          if (push || open.length === 0) {
            open.push(frame % frames);
            events.push({ type: 'O', frame: frame % frames, at });
          } else {
            events.push({ type: 'C', frame: open.pop()!, at });
          }
        }
        while (open.length > 0) events.push({ type: 'C', frame: open.pop()!, at: (at += 1) });
        return { events };
      }),
    );
  const arbitraryFile = frameNames.chain((names) =>
    fc.tuple(
      fc.constant(names),
      fc.constantFrom('none', 'bytes', 'nanoseconds', 'milliseconds'),
      fc.array(profileOf(names.length), { minLength: 1, maxLength: 3 }),
    ),
  );
  fc.assert(
    fc.property(arbitraryFile, ([names, unit, bodies]) => {
      const profiles = bodies.map((body, i) => {
        const weight = 'weights' in body ? body.weights.reduce((a, b) => a + b, 0) : body.events.at(-1)!.at;
        const type = 'weights' in body ? 'sampled' : 'evented';
        return { type, name: `thread ${i}`, unit, startValue: 0, endValue: weight, ...body };
      });
      const profile = parse(file(names, ...profiles));
      const again = reparse(profile);
      assert.ok(again);
      assert.equal(dumpProfile(again), dumpProfile(profile));
    }),
    { numRuns: 300 },
  );
});
