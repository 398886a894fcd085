import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildCallTree, isKilnError } from '@kiln/model';
import { isFolded, parseFolded, parseLines, serializeFolded } from './folded.js';
import { parsePprof } from './pprof.js';
import { assertRoundTrip, testdata } from './test-helpers/round-trip.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('folded of every Go capture sums by leaf to go tool pprof flat values', () => {
  for (const [file, type] of [
    ['cpu', 'cpu'],
    ['heap', 'inuse_space'],
    ['block', 'delay'],
  ] as const) {
    const profile = parsePprof(readFileSync(testdata(`go/${file}.pb.gz`)))!;
    const sampleType = profile.sampleTypes.findIndex((t) => t.type === type);
    const folded = serializeFolded(profile, { sampleType });
    const flat = new Map<string, number>();
    for (const line of folded.trim().split('\n')) {
      const space = line.lastIndexOf(' ');
      const leaf = line.slice(0, space).split(';').pop()!;
      flat.set(leaf, (flat.get(leaf) ?? 0) + Number(line.slice(space + 1)));
    }
    const top = readFileSync(testdata(`go/${file}.${type}.top.txt`), 'utf8');
    let checked = 0;
    for (const m of top.matchAll(/^\s*(\d+)(?:ns|B)?\s+\S+%\s+\S+%\s+\d+(?:ns|B)?\s+\S+%\s+(.+)$/gm)) {
      const name = m[2]!.replace(/ \((partial-)?inline\)$/, '');
      if (Number(m[1]) === 0) continue;
      assert.equal(flat.get(name), Number(m[1]), `${file} ${type} flat of ${name}`);
      checked++;
    }
    assert.ok(checked >= 5, `${file}: checked ${checked} functions`);
  }
});

test('folded round trip of real captures (pprof -> folded -> parse) keeps every stack', () => {
  for (const fixture of ['go/cpu.pb.gz', 'go/heap.pb.gz', 'pyroscope-nodejs/fresh/wall-cpu-001.pprof.gz']) {
    const profile = parsePprof(readFileSync(testdata(fixture)))!;
    const folded = serializeFolded(profile);
    const back = parseFolded(enc(folded))!;
    assert.deepEqual(
      buildCallTree(back).toFolded(),
      buildCallTree(profile).toFolded(),
      `${fixture}: same stacks and values`,
    );
    const golden = testdata('goldens', 'folded', fixture.replace(/\//g, '__') + '.txt');
    assertRoundTrip(
      back,
      golden,
      (p) => serializeFolded(p),
      (b) => parseFolded(b),
    );
  }
});

test('repeated stacks add up; names may hold spaces', () => {
  const p = parseFolded(enc('main;do work 3\nmain;do work 4\nmain 1\n'))!;
  assert.deepEqual(buildCallTree(p).toFolded(), ['main 1', 'main;do work 7']);
});

test('lines format: one sample per line', () => {
  const p = parseLines(enc('a;b\na;b\na\n'));
  assert.deepEqual(buildCallTree(p).toFolded(), ['a 1', 'a;b 2']);
});

test('sniffing: folded claims folded text only', () => {
  assert.ok(isFolded(enc('a;b 1\n')));
  assert.ok(!isFolded(enc('{"a": 1}')));
  assert.ok(!isFolded(enc('a;b\n')));
  assert.ok(!isFolded(Uint8Array.from([0x0a, 0x02, 0x08, 0x01])));
});

test('a folded file with a broken line names the line', () => {
  assert.throws(
    () => parseFolded(enc('a;b 1\nc;d 2\ne;f 3\ng;h 4\ni;j 5\nk;l 6\nm;n 7\no;p 8\nbroken line\n')),
    (err) => isKilnError(err, 'ERR_FORMAT_INVALID') && /line 9/.test(err.message),
  );
});

test('serialize replaces separators inside names', () => {
  const p = parseFolded(enc('a;b 1\n'))!;
  const renamed = { ...p, strings: p.strings.map((s) => (s === 'b' ? 'x;y\nz' : s)) };
  assert.equal(serializeFolded(renamed), 'a;x_y_z 1\n');
});
