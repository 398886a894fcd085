import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCallTree, selectTopFunctions } from '@kiln/model';
import { parseProfile } from '@kiln/formats';

const repoRoot = join(import.meta.dirname, '../../../..');
const fixture = (p: string): string => join(repoRoot, 'testdata', p);

/** Runs `kiln ARGS` through main(), as bin/kiln.js does, from the TypeScript sources. */
function kiln(...args: string[]): { status: number; stdout: string; stderr: string } {
  const script = `import('@kiln/cli').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`;
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('kiln convert --to folded: lines summed by leaf equal pprof flat values', () => {
  const r = kiln('convert', fixture('go/cpu.pb.gz'), '--to', 'folded', '--type', 'cpu');
  assert.equal(r.status, 0, r.stderr);
  const flat = new Map<string, number>();
  for (const line of r.stdout.trim().split('\n')) {
    const space = line.lastIndexOf(' ');
    const leaf = line.slice(0, space).split(';').at(-1)!;
    flat.set(leaf, (flat.get(leaf) ?? 0) + Number(line.slice(space + 1)));
  }
  assert.equal(flat.get('crypto/sha256.block'), 520_000_000); // go tool pprof -top: 520000000ns flat
  assert.equal(flat.get('runtime.mallocgc'), 430_000_000);
});

test('kiln convert defaults to the profile default sample type', () => {
  const r = kiln('convert', fixture('go/allocs.pb.gz'));
  assert.equal(r.status, 0, r.stderr);
  const total = r.stdout
    .trim()
    .split('\n')
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const top = readFileSync(fixture('go/allocs.alloc_space.top.txt'), 'utf8');
  assert.equal(total, Number(/of (\d+)B total/.exec(top)![1]));
});

test('kiln convert to every output format, and back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-convert-'));
  const source = parseProfile(readFileSync(fixture('perf/c/burn.perf-script.txt'))).profile;
  const expected = selectTopFunctions(buildCallTree(source));
  for (const to of ['pprof', 'speedscope', 'flamebearer', 'folded']) {
    const out = join(dir, `out.${to}`);
    const r = kiln('convert', fixture('perf/c/burn.perf-script.txt'), '--to', to, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const back = parseProfile(readFileSync(out)).profile;
    assert.deepEqual(selectTopFunctions(buildCallTree(back)), expected, `via ${to}`);
  }
});

test('errors: unknown sample type, unknown format, missing file, bad --to', () => {
  const badType = kiln('convert', fixture('go/cpu.pb.gz'), '--type', 'nope');
  assert.equal(badType.status, 1);
  assert.match(
    badType.stderr,
    /ERR_FORMAT_UNSUPPORTED: sample type "nope" is not in the profile; it has samples\/count, cpu\/nanoseconds/,
  );
  const unknown = kiln('convert', fixture('go/README.md'));
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /ERR_FORMAT_UNKNOWN/);
  const missing = kiln('convert', fixture('nope.pb.gz'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /ENOENT/);
  const badTo = kiln('convert', fixture('go/cpu.pb.gz'), '--to', 'jfr');
  assert.equal(badTo.status, 2);
  assert.match(badTo.stderr, /--to must be one of folded, pprof, speedscope, flamebearer/);
});
