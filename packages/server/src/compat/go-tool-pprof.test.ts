// Compatibility with Go's own pprof reader: what Kiln's SelectMergeProfile returns for a real Go
// CPU profile (testdata/go/cpu.pb.gz, net/http/pprof of Go 1.19, posted to /ingest as
// format=pprof) is read by `go tool pprof -top`, and the totals and per-function values it prints
// equal the goldens made by the same tool from the original file (testdata/go/README.md). Needs
// Go (Debian package golang-go); without it these tests fail rather than skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { toBinary } from '@bufbuild/protobuf';
import { pprof } from '@kiln/api';
import { testdata } from '../test-helpers/testdata.js';
import { assertCleanExit, startKilnProcess, type KilnProcess } from './kiln-process.js';

const GO = process.env.KILN_GO ?? 'go';

/** The flags of testdata/go/regenerate.sh: nothing is dropped or folded. */
const TOP_FLAGS = ['-top', '-nodefraction=0', '-edgefraction=0', '-nodecount=1000000'];

const CASES = [
  {
    profileType: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    golden: 'cpu.cpu.top.txt',
    flags: ['-unit=ns'],
    type: 'cpu',
    unit: 'ns',
    total: '7000000000ns',
    gzip: true,
  },
  {
    profileType: 'process_cpu:samples:count:cpu:nanoseconds',
    golden: 'cpu.samples.top.txt',
    flags: [],
    type: 'samples',
    unit: '',
    total: '700',
    gzip: false,
  },
] as const;

let goError: string | null | undefined;

/** Fails (never skips) with what to install when Go is missing. */
function requireGo(): void {
  if (goError === undefined) {
    const res = spawnSync(GO, ['version'], { encoding: 'utf8' });
    goError =
      res.error || res.status !== 0
        ? `\`${GO} version\` failed (${res.error?.message ?? res.stderr.trim()}): these tests need Go's ` +
          '`go tool pprof`; install the Debian package golang-go (apt-get install -y golang-go), ' +
          'or point KILN_GO at a go binary'
        : null;
  }
  if (goError !== null) assert.fail(goError);
}

let kiln: KilnProcess;
let workDir: string;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'kiln-go-pprof-'));
  // The fixture's samples are from 2026-11-25: keep every resolution forever so the test does
  // not depend on today's date.
  kiln = await startKilnProcess({ args: ['--retention-days', '0,0,0,0,0'] });
  const res = await fetch(`${kiln.url}/ingest?name=go-app&format=pprof`, {
    method: 'POST',
    body: readFileSync(testdata('go', 'cpu.pb.gz')),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(res.status, 200, await res.text());
});

after(async () => {
  await kiln?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface TopRow {
  flat: string;
  cum: string;
}

interface Top {
  header: string[];
  /** `Showing nodes accounting for X, 100% of X total`: X. */
  total: string;
  rows: Map<string, TopRow>;
}

/**
 * Parses `go tool pprof -top` output. Kiln's pprof has one line per location, so pprof marks no
 * function " (inline)" or " (partial-inline)"; the marks are dropped from golden names too.
 */
function parseTop(text: string): Top {
  const lines = text.split('\n');
  const total = /^Showing nodes accounting for (\S+), 100% of \1 total$/m.exec(text)?.[1];
  assert.ok(total, `no "Showing nodes accounting for X, 100% of X total" in\n${text.slice(0, 500)}`);
  const rows = new Map<string, TopRow>();
  for (const line of lines) {
    const m = /^\s*(\S+)\s+[\d.]+%\s+[\d.]+%\s+(\S+)\s+[\d.]+%\s+(.+?)(?: \((?:partial-)?inline\))?$/.exec(line);
    if (!m) continue;
    const [, flat, cum, name] = m as unknown as [string, string, string, string];
    assert.ok(!rows.has(name), `${name} twice`);
    rows.set(name, { flat, cum });
  }
  return { header: lines.filter((l) => /^(Type|Duration|Showing)/.test(l)), total, rows };
}

for (const c of CASES) {
  test(`go tool pprof -top reads SelectMergeProfile (${c.profileType}) with the golden's totals and values`, async () => {
    requireGo();
    // The day the fixture was captured.
    const selection = {
      profileTypeID: c.profileType,
      labelSelector: '{service_name="go-app"}',
      start: BigInt(Date.UTC(2026, 10, 25)),
      end: BigInt(Date.UTC(2026, 10, 26)),
    };
    const profile = await kiln.querier().selectMergeProfile(selection);
    const stored = (await kiln.querier().selectMergeStacktraces(selection)).flamegraph?.total;
    const bytes = toBinary(pprof.ProfileSchema, profile);
    const file = join(workDir, `${c.type}.pb${c.gzip ? '.gz' : ''}`);
    writeFileSync(file, c.gzip ? gzipSync(bytes) : bytes);
    const res = spawnSync(GO, ['tool', 'pprof', ...TOP_FLAGS, ...c.flags, file], {
      cwd: workDir,
      encoding: 'utf8',
      // No symbolization from binaries a stray mapping might name.
      env: { ...process.env, PPROF_TMPDIR: workDir, PPROF_BINARY_PATH: workDir },
    });
    assert.equal(res.status, 0, `go tool pprof failed: ${res.error?.message ?? ''}${res.stderr}`);
    const ours = parseTop(res.stdout);
    const golden = parseTop(readFileSync(testdata('go', c.golden), 'utf8'));

    assert.ok(ours.header.includes(`Type: ${c.type}`), ours.header.join('\n'));
    assert.equal(golden.total, c.total);
    assert.equal(ours.total, golden.total, 'total');
    assert.equal(`${stored}${c.unit}`, ours.total, 'the stored total (SelectMergeStacktraces)');
    assert.match(res.stdout, new RegExp(`Total samples = ${c.total}\\b`));
    assert.equal(ours.rows.size, golden.rows.size, 'functions');
    for (const [name, row] of golden.rows) {
      assert.deepEqual(ours.rows.get(name), row, `flat and cum of ${name}`);
    }
  });
}

test('the kiln server process stops cleanly on SIGTERM', async () => {
  assertCleanExit(await kiln.stop());
});
