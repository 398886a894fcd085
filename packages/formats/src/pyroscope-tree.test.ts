import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildCallTree, isKilnError, sumValues, type Profile } from '@kiln/model';
import { parseFolded, serializeFolded } from './folded.js';
import { parsePprof } from './pprof.js';
import { parseTree, parseTrie } from './pyroscope-tree.js';
import { serializeTree, serializeTrie } from './pyroscope-tree-serialize.js';
import { assertRoundTrip, testdata } from './test-helpers/round-trip.js';

/** Bytes written out by hand: numbers are bytes, strings are their ASCII bytes. */
function bytes(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const c of p) out.push(c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

const folded = (p: Profile, sampleType = 0): string[] => buildCallTree(p, { sampleType }).toFolded();
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function throwsCode(fn: () => unknown, code: string, message?: RegExp, offset?: number): void {
  assert.throws(fn, (err) => {
    assert.ok(isKilnError(err), `not a KilnError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    if (offset !== undefined) assert.equal(err.details['offset'], offset, err.message);
    return true;
  });
}

// The three stacks of the hand-written examples: main;work;parse 3, main;work;sort 2, main;idle 5.
const THREE_STACKS = ['main;idle 5', 'main;work;parse 3', 'main;work;sort 2'];

// Section 1.6 by hand: a radix trie over the whole stack strings, pre-order, every node
// `uvarint len, fragment, uvarint value, uvarint child count`, children in byte order.
const THREE_STACKS_TRIE = bytes(
  ...[0, 0, 1], //                    root: empty fragment, value 0, 1 child
  ...[5, 'main;', 0, 2], //           "main;"           value 0, 2 children
  ...[4, 'idle', 5, 0], //            "main;idle"       value 5, leaf
  ...[5, 'work;', 0, 2], //           "main;work;"      value 0, 2 children
  ...[5, 'parse', 3, 0], //           "main;work;parse" value 3, leaf
  ...[4, 'sort', 2, 0], //            "main;work;sort"  value 2, leaf
);

// Section 1.6 by hand: the call tree pre-order under an empty-named root, every node
// `uvarint len, name, uvarint self, uvarint child count`.
const THREE_STACKS_TREE = bytes(
  ...[0, 0, 1], //                    root: empty name, self 0, 1 child
  ...[4, 'main', 0, 2],
  ...[4, 'idle', 5, 0],
  ...[4, 'work', 0, 2],
  ...[5, 'parse', 3, 0],
  ...[4, 'sort', 2, 0],
);

test('trie: hand-written bytes of three stacks parse to those stacks, and serialize back to the same bytes', () => {
  const p = parseTrie(THREE_STACKS_TRIE);
  assert.deepEqual(folded(p), THREE_STACKS);
  assert.deepEqual(p.sampleTypes, [{ type: 'samples', unit: 'count' }]);
  assert.deepEqual(serializeTrie(THREE_STACKS.join('\n')), THREE_STACKS_TRIE);
  assert.deepEqual(serializeTrie(p), THREE_STACKS_TRIE);
});

test('tree: hand-written bytes of three stacks parse to those stacks, and serialize back to the same bytes', () => {
  const p = parseTree(THREE_STACKS_TREE);
  assert.deepEqual(folded(p), THREE_STACKS);
  assert.deepEqual(serializeTree(THREE_STACKS.join('\n')), THREE_STACKS_TREE);
  assert.deepEqual(serializeTree(p), THREE_STACKS_TREE);
});

test("Pyroscope's own test vectors (transporttrie and no-dict tree serialization examples)", () => {
  // pkg/og/structs/transporttrie/trie_test.go: Insert("abc", 1), Insert("abd", 2).
  const trie = bytes(0, 0, 1, 2, 'ab', 0, 2, 1, 'c', 1, 0, 1, 'd', 2, 0);
  assert.deepEqual(folded(parseTrie(trie)), ['abc 1', 'abd 2']);
  assert.deepEqual(serializeTrie('abc 1\nabd 2\n'), trie);
  // pkg/og/storage/tree/serialize_nodict_test.go: a with children b (1) and c (2).
  const tree = bytes(0, 0, 1, 1, 'a', 0, 2, 1, 'b', 1, 0, 1, 'c', 2, 0);
  assert.deepEqual(folded(parseTree(tree)), ['a;b 1', 'a;c 2']);
  assert.deepEqual(serializeTree('a;b 1\na;c 2\n'), tree);
});

test('trie: frames split across fragments, values on inner nodes, multi-byte varints, UTF-8 split mid-character', () => {
  const p = parseTrie(
    bytes(
      ...[0, 0, 2],
      ...[9, 'main;work', 0xac, 0x02, 1], //  "main;work" = 300 (two-byte varint), 1 child
      ...[2, 'er', 7, 0], //                 "main;worker" = 7: the frame `worker` spans two nodes
      ...[1, 0xc3, 0, 2], //                 first byte of é (c3 a9) and ê (c3 aa)
      ...[1, 0xa9, 1, 0],
      ...[1, 0xaa, 2, 0],
    ),
  );
  assert.deepEqual(folded(p), ['main;work 300', 'main;worker 7', 'é 1', 'ê 2']);
});

test('trie: the value of the empty key is an empty stack, as Pyroscope keeps it; empty frames are dropped', () => {
  const p = parseTrie(bytes(0, 4, 1, 4, 'a;;b', 1, 0));
  assert.equal(sumValues(p, 0), 5);
  assert.deepEqual(folded(p), ['a;b 1']);
  assert.equal(buildCallTree(p).self[0], 4);
});

test("tree: `;` in a name makes frames, as Pyroscope's re-split does; the root's self and an empty name's are dropped", () => {
  const p = parseTree(
    bytes(...[0, 9, 2], ...[3, 'a;b', 1, 0], ...[0, 4, 1], ...[1, 'c', 2, 0]), // root self 9, "" self 4
  );
  assert.deepEqual(folded(p), ['a;b 1', 'c 2']);
  assert.equal(sumValues(p, 0), 3);
});

test('options set the sample type, period and time, and multiply every value', () => {
  const cpu = { type: 'cpu', unit: 'nanoseconds' };
  for (const parse of [parseTrie, parseTree]) {
    const body = parse === parseTrie ? THREE_STACKS_TRIE : THREE_STACKS_TREE;
    const p = parse(body, { sampleType: cpu, periodType: cpu, period: 10_000_000, multiplier: 10_000_000, timeNs: 42 });
    assert.deepEqual(p.sampleTypes, [cpu]);
    assert.deepEqual(p.periodType, cpu);
    assert.equal(p.period, 10_000_000);
    assert.equal(p.timeNs, 42);
    assert.deepEqual(folded(p), ['main;idle 50000000', 'main;work;parse 30000000', 'main;work;sort 20000000']);
  }
});

test('an empty trie body is an empty profile (as in Pyroscope); an empty tree body is truncated', () => {
  assert.equal(parseTrie(new Uint8Array(0)).samples.length, 0);
  throwsCode(
    () => parseTree(new Uint8Array(0)),
    'ERR_FORMAT_TRUNCATED',
    /tree ends inside a name length at offset 0/,
    0,
  );
  assert.deepEqual(serializeTrie(''), bytes(0, 0, 0));
  assert.deepEqual(serializeTree(''), bytes(0, 0, 0));
});

// Made by Pyroscope's own v0.x code (testdata/pyroscope-tree/README.md) from these captures.
const PYROSCOPE_MADE = [
  ['go-cpu.samples', 'go/cpu.pb.gz', 'samples'],
  ['go-heap.alloc_space', 'go/heap.pb.gz', 'alloc_space'],
] as const;

test("bodies written by Pyroscope's own code parse to the capture's stacks, and Kiln writes the same bytes", () => {
  for (const [name, capture, type] of PYROSCOPE_MADE) {
    const source = parsePprof(readFileSync(testdata(capture)))!;
    const sampleType = source.sampleTypes.findIndex((t) => t.type === type);
    const want = folded(source, sampleType);
    assert.ok(want.length > 100, `${capture} has stacks`);
    for (const [ext, parse, serialize] of [
      ['trie', parseTrie, serializeTrie],
      ['tree', parseTree, serializeTree],
    ] as const) {
      const body = readFileSync(testdata('pyroscope-tree', `${name}.${ext}`));
      const parsed = parse(body);
      assert.deepEqual(folded(parsed), want, `${name}.${ext}: same stacks and values`);
      assert.deepEqual(serialize(source, { sampleType }), new Uint8Array(body), `${name}.${ext}: byte for byte`);
      // One golden for both formats: they must show the same profile.
      assertRoundTrip(parsed, testdata('pyroscope-tree', 'goldens', `${name}.txt`), serialize, parse);
    }
  }
});

test('round trip of every Go and Node capture, every sample type: pprof -> folded -> trie/tree -> parse', () => {
  const captures = [
    ...readdirSync(testdata('go'))
      .filter((f) => f.endsWith('.pb.gz'))
      .map((f) => `go/${f}`),
    'pyroscope-nodejs/fresh/wall-cpu-001.pprof.gz',
  ];
  let checked = 0;
  for (const capture of captures) {
    const profile = parsePprof(readFileSync(testdata(capture)))!;
    for (let sampleType = 0; sampleType < profile.sampleTypes.length; sampleType++) {
      const tree = buildCallTree(profile, { sampleType });
      const want = tree.toFolded();
      const text = serializeFolded(profile, { sampleType });
      const where = `${capture} ${profile.sampleTypes[sampleType]!.type}`;
      for (const [format, parse, serialize] of [
        ['trie', parseTrie, serializeTrie],
        ['tree', parseTree, serializeTree],
      ] as const) {
        assert.deepEqual(folded(parse(serialize(text))), want, `${where} ${format}: folded -> ${format} -> parse`);
        const direct = parse(serialize(profile, { sampleType }));
        assert.deepEqual(folded(direct), want, `${where} ${format}: profile -> ${format} -> parse`);
        // Samples with no frames (goroutine has one) survive a trie; Pyroscope drops a tree root's value.
        const total = format === 'trie' ? tree.totalValue : tree.totalValue - tree.self[0]!;
        assert.equal(sumValues(direct, 0), total, `${where} ${format}: total`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `checked ${checked}`);
});

test('serializers refuse values an unsigned varint cannot hold', () => {
  throwsCode(() => serializeTrie(parseFolded(enc('a;b -3\n'))!), 'ERR_FORMAT_UNSUPPORTED', /"a;b" has the value -3/);
  const halves = parseTree(THREE_STACKS_TREE, { multiplier: 0.5 });
  throwsCode(() => serializeTree(halves), 'ERR_FORMAT_UNSUPPORTED', /"main;idle" has the value 2.5/);
});

test('broken bodies are named errors with the byte offset', () => {
  // A child count cut inside its varint.
  throwsCode(() => parseTrie(bytes(0, 0, 0x81)), 'ERR_FORMAT_TRUNCATED', /child count at offset 2/, 2);
  // A fragment longer than the body.
  throwsCode(() => parseTrie(bytes(0, 0, 1, 5, 'ab')), 'ERR_FORMAT_TRUNCATED', /5-byte fragment at offset 4/, 4);
  // A child count no body of this size can hold.
  throwsCode(() => parseTrie(bytes(0, 0, 5, 0, 0, 0)), 'ERR_FORMAT_TRUNCATED', /claims 5 children at offset 2/, 2);
  // A varint past 64 bits.
  throwsCode(
    () => parseTrie(bytes(0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0)),
    'ERR_FORMAT_INVALID',
    /a value at offset 1 overflows 64 bits/,
    1,
  );
  // Bytes after the last node.
  throwsCode(() => parseTrie(bytes(0, 0, 0, 7)), 'ERR_FORMAT_INVALID', /ends at offset 3, but 1 more bytes/, 3);
  // A tree whose first node is not the empty root.
  throwsCode(() => parseTree(bytes(1, 'a', 1, 0)), 'ERR_FORMAT_INVALID', /empty-named root.*"a"/, 0);
});

test("Pyroscope's hostile vectors: a 2^64-1 name length and 16,001 children are refused without allocating", () => {
  // serialize_nodict_test.go: a name length varint of 0xffffffffffffffff.
  const hugeName = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
  throwsCode(() => parseTree(hugeName), 'ERR_FORMAT_STRING_TOO_LONG', /maxStringBytes is 65536/);
  throwsCode(() => parseTrie(hugeName), 'ERR_FORMAT_TRUNCATED', /offset 10/);
  // A root claiming 16,001 children (Pyroscope's limit is 16,000) with no bytes for them.
  const manyChildren = bytes(0, 0, 0x81, 0x7d);
  throwsCode(() => parseTree(manyChildren), 'ERR_FORMAT_TRUNCATED', /claims 16001 children/);
  throwsCode(() => parseTree(manyChildren, { limits: { maxSamples: 16_000 } }), 'ERR_FORMAT_TOO_MANY_SAMPLES');
});

test('decode limits: samples, stack depth, frame length, functions, body size', () => {
  for (const [parse, body] of [
    [parseTrie, THREE_STACKS_TRIE],
    [parseTree, THREE_STACKS_TREE],
  ] as const) {
    throwsCode(() => parse(body, { limits: { maxSamples: 2 } }), 'ERR_FORMAT_TOO_MANY_SAMPLES', /maxSamples is 2/);
    throwsCode(() => parse(body, { limits: { maxStackDepth: 2 } }), 'ERR_FORMAT_STACK_TOO_DEEP', /offset/);
    throwsCode(() => parse(body, { limits: { maxStringBytes: 4 } }), 'ERR_FORMAT_STRING_TOO_LONG', /offset/);
    throwsCode(() => parse(body, { limits: { maxFunctions: 4 } }), 'ERR_FORMAT_TOO_MANY_FUNCTIONS');
    throwsCode(() => parse(body, { limits: { maxDecompressedBytes: 10 } }), 'ERR_FORMAT_TOO_LARGE');
    throwsCode(() => parse(body, { limits: { maxStackBytes: 30 } }), 'ERR_FORMAT_STACKS_TOO_LARGE', /offset/);
    assert.equal(parse(body, { limits: { maxStackBytes: 50 } }).samples.length, 3);
  }
  // A frame longer than maxStringBytes though every fragment is short.
  const longFrame = bytes(0, 0, 1, 3, 'abc', 0, 1, 3, 'def', 1, 0);
  throwsCode(() => parseTrie(longFrame, { limits: { maxStringBytes: 5 } }), 'ERR_FORMAT_STRING_TOO_LONG', /offset 9/);
});

test('a small body standing for a huge profile stops at maxStackBytes, quickly', () => {
  // One 60,000-byte frame shared by 5,000 leaves: a 90 kB trie standing for 300 MB of folded stacks.
  const leaves = 5_000;
  const parts: number[] = [0, 0, 1, 0xe0, 0xd4, 0x03, ...new Uint8Array(60_000).fill(0x61), 0, 0x88, 0x27];
  for (let i = 0; i < leaves; i++) parts.push(3, 0x3b, 0x62 + (i % 20), 0x41 + (Math.floor(i / 20) % 26), 1, 0);
  const started = performance.now();
  throwsCode(() => parseTrie(Uint8Array.from(parts)), 'ERR_FORMAT_STACKS_TOO_LARGE', /maxStackBytes is 268435456/);
  assert.ok(performance.now() - started < 2_000, 'took over 2 s');
});

function expectProfileOrNamed(parse: (b: Uint8Array) => unknown, body: Uint8Array): void {
  const started = performance.now();
  try {
    parse(body);
  } catch (err) {
    if (!(isKilnError(err) && err.code.startsWith('ERR_FORMAT_'))) {
      throw new Error(`not a named error: ${(err as Error).stack}`, { cause: err });
    }
  }
  assert.ok(performance.now() - started < 5_000, 'parser took over 5 s');
}

const PARSERS = { trie: parseTrie, tree: parseTree } as const;

for (const [name, parse] of Object.entries(PARSERS)) {
  test(`${name}: random bytes end in a profile or a named error`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => expectProfileOrNamed(parse, b)),
      { numRuns: 1_000 },
    );
  });

  test(`${name}: truncated and mutated real bodies end in a profile or a named error`, () => {
    for (const [fixture] of PYROSCOPE_MADE) {
      const seed = new Uint8Array(readFileSync(testdata('pyroscope-tree', `${fixture}.${name}`)));
      fc.assert(
        fc.property(
          fc.oneof(fc.constant(seed.length), fc.integer({ min: 0, max: seed.length })),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
          (cut, mutations) => {
            const body = seed.slice(0, cut);
            for (const [at, value] of mutations) if (body.length > 0) body[at % body.length] = value;
            expectProfileOrNamed(parse, body);
          },
        ),
        { numRuns: 150 },
      );
    }
  });
}

test('property: any folded stacks survive serialize -> parse in both formats', () => {
  const frame = fc.oneof(
    fc.constantFrom('main', 'main.work', 'main.worker', 'a', 'ab', 'é', 'éa', '日本', '日本語', '🔥', 'x y'),
    fc.stringMatching(/^[A-Za-z0-9_.:()<>$/*-]{1,6}$/),
  );
  const stack = fc.tuple(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 1e12 }));
  fc.assert(
    fc.property(fc.array(stack, { minLength: 1, maxLength: 40 }), (stacks) => {
      const text = stacks.map(([s, v]) => `${s.join(';')} ${v}`).join('\n') + '\n';
      const want = folded(parseFolded(enc(text))!);
      assert.deepEqual(folded(parseTrie(serializeTrie(text))), want);
      assert.deepEqual(folded(parseTree(serializeTree(text))), want);
    }),
    { numRuns: 300 },
  );
});
