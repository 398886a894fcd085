import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildCallTree, functionName, isKilnError, sumValues, type Profile } from '@kiln/model';
import type { DecodeLimits } from './limits.js';
import { isPerfScript, parsePerfScript } from './perf-script.js';
import { assertRoundTrip, testdata } from './test-helpers/round-trip.js';

// Goldens: testdata/goldens/perf-script/<folder>__<file>.txt; regenerate with
// `UPDATE_GOLDENS=1 npm test -- perf-script` and review the diff.
const fixtures = readdirSync(testdata('perf'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(testdata('perf', d.name))
      .filter((f) => f.endsWith('.perf-script.txt'))
      .map((f) => join(d.name, f)),
  )
  .sort();

const encode = (text: string) => new TextEncoder().encode(text);
const read = (fixture: string) => readFileSync(testdata('perf', fixture));

function parse(text: string, limits?: Partial<DecodeLimits>): Profile {
  const profile = parsePerfScript(encode(text), { limits });
  assert.ok(profile, 'not recognised as perf script');
  return profile;
}

function folded(profile: Profile, sampleType = profile.defaultSampleType): string[] {
  return buildCallTree(profile, { sampleType }).toFolded();
}

function functionNames(profile: Profile): string[] {
  return Array.from({ length: profile.functions.length }, (_, i) => functionName(profile, i));
}

function labelValues(profile: Profile, key: string): Set<string> {
  const out = new Set<string>();
  for (const set of profile.samples.labelSets) for (const l of set) if (l.key === key) out.add(l.str ?? '');
  return out;
}

function assertFormatError(fn: () => unknown, code?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isKilnError(err), `not a KilnError: ${String(err)}`);
    if (code !== undefined) assert.equal(err.code, code, err.message);
    else assert.match(err.code, /^ERR_FORMAT_/);
    return true;
  });
}

test('there are perf script captures to test', () => {
  for (const f of ['c/burn.perf-script.txt', 'go/loadgen.perf-script.txt', 'node/app.perf-script.txt']) {
    assert.ok(fixtures.includes(f), `${f} is missing (found ${fixtures.join(', ')})`);
  }
});

for (const fixture of fixtures) {
  test(`perf script golden: ${fixture}`, () => {
    const profile = parsePerfScript(read(fixture));
    assert.ok(profile, 'not recognised as perf script');
    assert.deepEqual(
      profile.sampleTypes.map((t) => `${t.type}/${t.unit}`),
      ['samples/count', 'cpu/nanoseconds'],
    );
    // Every fixture is cpu-clock at a fixed frequency: cpu time = events x period.
    assert.equal(sumValues(profile, 1), sumValues(profile, 0) * profile.period);
    assert.ok(profile.durationNs > 1e9, `duration ${profile.durationNs} ns`);
    assertRoundTrip(profile, testdata('goldens', 'perf-script', fixture.replace(/\//g, '__')), null, null);
  });
}

test('processes and threads of the C program are distinguished by root frame and labels', () => {
  const profile = parsePerfScript(read('c/burn.perf-script.txt'))!;
  const roots = new Set(folded(profile).map((l) => l.split(';')[0]));
  assert.deepEqual([...roots].sort(), ['burn', 'burn-child', 'hasher', 'io worker']);
  assert.deepEqual([...labelValues(profile, 'tid')].sort(), ['5003', '5005', '5006', '5007']);
  assert.deepEqual(labelValues(profile, 'pid'), new Set(), 'default fields print the tid only');
  assert.equal(sumValues(profile, 0), 593);

  const withPid = parsePerfScript(read('c/burn.pid-tid.perf-script.txt'))!;
  assert.deepEqual([...labelValues(withPid, 'pid')].sort(), ['5003', '5005']);
  const hasher = withPid.samples.labelSets.find((s) => s.some((l) => l.str === 'hasher'));
  assert.deepEqual(hasher, [
    { key: 'comm', str: 'hasher' },
    { key: 'pid', str: '5003' },
    { key: 'tid', str: '5006' },
  ]);
  assert.deepEqual(folded(withPid), folded(profile), 'the -F variant shows the same flame graph');
});

test('kernel frames are marked and sit above user frames', () => {
  const profile = parsePerfScript(read('c/burn.perf-script.txt'))!;
  assert.ok(profile.mappings.some((m) => m.filename === '[kernel.kallsyms]'));
  const names = functionNames(profile);
  assert.ok(names.includes('entry_SYSCALL_64_after_hwframe_[k]'));
  let kernelStacks = 0;
  for (const line of folded(profile)) {
    const frames = line.slice(0, line.lastIndexOf(' ')).split(';');
    const first = frames.findIndex((f) => f.endsWith('_[k]'));
    if (first === -1) continue;
    kernelStacks++;
    assert.ok(first > 1, `kernel frame right under the comm: ${line}`);
    assert.ok(
      frames.slice(first).every((f) => f.endsWith('_[k]')),
      `user frame above a kernel frame: ${line}`,
    );
  }
  assert.ok(kernelStacks > 5);
});

test('unresolved frames are named by their DSO', () => {
  const c = functionNames(parsePerfScript(read('c/burn.perf-script.txt'))!);
  assert.ok(c.includes('[unknown] (libhelper.so)'), 'stripped shared library');
  assert.ok(c.includes('[unknown] (perf-5003.map)'), 'anonymous executable page');
  const go = parsePerfScript(read('go/loadgen.perf-script.txt'))!;
  const goNames = functionNames(go);
  // The garbage return address e9b5dba5b5c0fbcf under Go's sha256 assembly is not kernel code.
  assert.ok(goNames.includes('[unknown]'));
  assert.ok(!goNames.some((n) => n.startsWith('[unknown]') && n.endsWith('_[k]')));
  assert.ok(folded(go).some((l) => l.startsWith('loadgen;[unknown];crypto/sha256.block.abi0 ')));
  assert.equal(labelValues(go, 'tid').size, 5);
});

test('Node JIT symbols from the perf map stay readable, one frame per function whatever its tier', () => {
  const names = functionNames(parsePerfScript(read('node/app.perf-script.txt'))!);
  for (const name of [
    'parseFactor /tmp/kiln-perf/node/app.js:15:14',
    'processImmediate node:internal/timers:438:28',
    '(anonymous) /tmp/kiln-perf/node/app.js:48:10',
    'RegExp:\\d+|[-+*/()]',
  ]) {
    assert.ok(names.includes(name), `${name} is missing`);
  }
  assert.ok(!names.some((n) => /\+0x[0-9a-f]+$/.test(n)), 'offsets are stripped');
  assert.ok(!names.some((n) => /^(JS|LazyCompile):/.test(n)), 'V8 code kinds and tiers are stripped');
  assert.ok(
    names.some((n) => n.startsWith('node::crypto::Hash::HashUpdate(v8::FunctionCallbackInfo<v8::Value> const&)')),
    'C++ symbols keep their parentheses',
  );
});

test('header variants: cpu, pid/tid, modifiers, spaces and digits in comm, no period', () => {
  const profile = parse(
    [
      '# ========',
      '# captured on: x',
      '',
      'pool 2  1200/1201 [003] 100.000001: 250000 cpu-clock:pppH: ',
      '\t 4004d6 work+0x6 (/app)',
      '\t 4004a0 main+0x10 (/app)',
      '',
      'pool 2  1200/1201 [001] 100.500001: 250000 cpu-clock:pppH: ',
      '\t 4004d7 work+0x7 (/app)',
      '\t 4004a0 main+0x10 (/app)',
      '',
    ].join('\r\n'),
  );
  assert.deepEqual(folded(profile), ['pool 2;main;work 500000']);
  assert.deepEqual(profile.samples.labelSets[1], [
    { key: 'comm', str: 'pool 2' },
    { key: 'pid', str: '1200' },
    { key: 'tid', str: '1201' },
  ]);
  assert.equal(profile.durationNs, 500_000_000);
  assert.equal(profile.period, 250_000);

  const noPeriod = parse('app 7 1.5: cycles: \n\tffff81000000 f (/app)\n\napp 7 1.6: cycles: \n\t1 g (/app)\n');
  assert.deepEqual(noPeriod.sampleTypes, [{ type: 'samples', unit: 'count' }]);
  assert.deepEqual(folded(noPeriod), ['app;f 1', 'app;g 1']);
});

test('other events get a count sample type named after the event', () => {
  const profile = parse(
    'app 7 1.5: 1000 cycles:u: \n\t10 f+0x1 (/app)\n\napp 7 1.6: 2000 cycles:u: \n\t10 f+0x1 (/app)\n\n' +
      'app 7 1.7: 1000000 task-clock: \n\t20 g (/app)\n',
  );
  assert.deepEqual(
    profile.sampleTypes.map((t) => `${t.type}/${t.unit}`),
    ['samples/count', 'cycles/count', 'cpu/nanoseconds'],
  );
  assert.equal(profile.sampleTypes[profile.defaultSampleType]?.type, 'cpu');
  assert.deepEqual(folded(profile, 1), ['app;f 3000']);
  assert.deepEqual(folded(profile, 0), ['app;f 2', 'app;g 1']);
  assert.equal(profile.samples.length, 2, 'identical events are aggregated');
});

test('frames without symbol, without DSO, in the kernel, and tracepoint fields', () => {
  const profile = parse(
    [
      'app 7 [000] 1.5: 1 sched:sched_switch: prev_comm=app prev_pid=7 ==> next_comm=swapper/0',
      '\tffffffff81a3c5e1 __schedule+0x2b1 ([kernel.kallsyms])',
      '\tffffffffc0a12345 [unknown] ([nf_tables])',
      '\t 7f00dead [unknown] (/usr/lib/libc.so.6 (deleted))',
      '\t 4004a0',
      '\t 4004b0 operator()(int) const+0x10',
      '',
    ].join('\n'),
  );
  assert.deepEqual(folded(profile), [
    'app;operator()(int) const;[unknown];[unknown] (libc.so.6 (deleted));[unknown]_[k];__schedule_[k] 1',
  ]);
  assert.deepEqual(
    profile.sampleTypes.map((t) => t.type),
    ['samples', 'sched:sched_switch'],
  );
});

test('output recorded without -g has the leaf frame on the header line', () => {
  const profile = parse(
    [
      '            burn 16127  1529.494838:   10101010 cpu-clock:           1179 leaf+0x20 (/srv/burn)',
      '            burn 16127  1529.504940:   10101010 cpu-clock:           1206 main+0x52 (/srv/burn)',
      '            burn 16127  1529.515056:   10101010 cpu-clock:           1179 leaf+0x20 (/srv/burn)',
    ].join('\n'),
  );
  assert.deepEqual(folded(profile), ['burn;leaf 20202020', 'burn;main 10101010']);
});

test('other text is not perf script', () => {
  for (const text of [
    '',
    'main;work 42\nmain;idle 7\n',
    '{"$schema":"https://www.speedscope.app/file-format-schema.json"}',
    'hello world\n\tdeadbeef\n',
    'a 12 b:\n', // looks like a header, but has no time and no frames
    '# only comments\n',
  ]) {
    assert.equal(isPerfScript(encode(text)), false, text);
    assert.equal(parsePerfScript(encode(text)), null, text);
  }
  assert.equal(parsePerfScript(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0])), null);
});

test('a file cut in a header is truncated; a bad line in the middle is invalid, with its line', () => {
  assertFormatError(() => parse('app 7 1.5: 10 cpu-clock:\n\t1 f (/a)\n\napp 7 1.'), 'ERR_FORMAT_TRUNCATED');
  assert.throws(
    () => parse('app 7 1.5: 10 cpu-clock:\n\t1 f (/a)\n\nthis is not perf\n'),
    (err: unknown) => isKilnError(err, 'ERR_FORMAT_INVALID') && /line 4\b/.test(err.message),
  );
  assert.throws(
    () => parse('app 7 1.5: 10 cpu-clock:\n\t1 f (/a)\n  not a frame\n'),
    (err: unknown) => isKilnError(err, 'ERR_FORMAT_INVALID') && /line 3\b/.test(err.message),
  );
});

test('each limit produces its named error', () => {
  const event = (i: number, depth: number) =>
    `app 7 1.${i}: 10 cpu-clock:\n` +
    Array.from({ length: depth }, (_, d) => `\t${(d + 16 * i).toString(16)} f${d}_${i} (/a)\n`).join('') +
    '\n';
  const text = event(1, 3) + event(2, 3) + event(3, 3);
  assert.equal(parse(text).samples.length, 3);
  assertFormatError(() => parse(text, { maxSamples: 2 }), 'ERR_FORMAT_TOO_MANY_SAMPLES');
  assertFormatError(() => parse(event(1, 11), { maxStackDepth: 10 }), 'ERR_FORMAT_STACK_TOO_DEEP');
  assert.equal(parse(event(1, 10), { maxStackDepth: 10 }).samples.length, 1);
  assertFormatError(() => parse(text, { maxLocations: 8 }), 'ERR_FORMAT_TOO_MANY_LOCATIONS');
  assertFormatError(() => parse(text, { maxFunctions: 8 }), 'ERR_FORMAT_TOO_MANY_FUNCTIONS');
  const long = 'x'.repeat(100);
  assertFormatError(
    () => parse(`app 7 1.5: 10 cpu-clock:\n\t1 ${long} (/a)\n`, { maxStringBytes: 99 }),
    'ERR_FORMAT_STRING_TOO_LONG',
  );
  assertFormatError(
    () => parse(`${long} 7 1.5: 10 cpu-clock:\n\t1 f (/a)\n`, { maxStringBytes: 99 }),
    'ERR_FORMAT_STRING_TOO_LONG',
  );
  // Bytes, not characters: 40 x 'é' is 80 bytes.
  assertFormatError(
    () => parse(`app 7 1.5: 10 cpu-clock:\n\t1 ${'é'.repeat(40)} (/a)\n`, { maxStringBytes: 79 }),
    'ERR_FORMAT_STRING_TOO_LONG',
  );
});

test('random bytes never crash the parser', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
      try {
        parsePerfScript(bytes);
      } catch (err) {
        assert.ok(isKilnError(err) && err.code.startsWith('ERR_FORMAT_'), String(err));
      }
    }),
    { numRuns: 500 },
  );
});

test('truncated and mutated real captures parse or throw a format error', () => {
  const captures = fixtures.map((f) => read(f).subarray(0, 30_000));
  const header = encode('app 7 1.5: 10 cpu-clock:\n');
  fc.assert(
    fc.property(
      fc.nat(captures.length - 1),
      fc.nat(30_000),
      fc.array(fc.tuple(fc.nat(30_000), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      (which, cut, edits) => {
        const bytes = new Uint8Array(captures[which]!.subarray(0, cut));
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        for (const input of [bytes, new Uint8Array([...header, ...bytes])]) {
          try {
            parsePerfScript(input);
          } catch (err) {
            assert.ok(isKilnError(err) && err.code.startsWith('ERR_FORMAT_'), String(err));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('pathological lines take linear time', () => {
  const huge = [
    `a 1 1.5: 10 cpu-clock:\n\t1 ${'('.repeat(400_000)}${')'.repeat(10)} (/a)\n`,
    `${'1 '.repeat(300_000)}\n`,
    `a 1 1.5: 10 cpu-clock:\n\t1 ${'+0x'.repeat(200_000)}\n`,
    `a 1 1.5: 10 cpu-clock:\n${'\t1\n'.repeat(200_000)}`,
  ];
  for (const text of huge) {
    const started = performance.now();
    try {
      parsePerfScript(encode(text));
    } catch (err) {
      assert.ok(isKilnError(err), String(err));
    }
    assert.ok(performance.now() - started < 2_000, `took ${performance.now() - started} ms`);
  }
});
