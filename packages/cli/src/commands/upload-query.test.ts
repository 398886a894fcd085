import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseProfile } from '@kiln/formats';
import { sumValues } from '@kiln/model';
import { startTestServer, type TestServer } from '../../../server/src/test-helpers/server.js';
import { REPO_ROOT, runKiln, topFunctions } from '../test-helpers/kiln-cli.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const testdata = (...p: string[]): string => join(REPO_ROOT, 'testdata', ...p);

describe('kiln upload and kiln query', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'kiln-upload-'));
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  test('pprof keeps its time and values: the Go capture reads back as `go tool pprof -top` shows it', async () => {
    const file = testdata('go', 'cpu.pb.gz');
    const run = await runKiln(['upload', file, '--app', 'upload-go', '--server', server.url, '--tag', 'env=test']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /1 of 1 file\(s\) uploaded as upload-go/);
    const timeS = Math.floor(parseProfile(readFileSync(file)).profile.timeNs / 1e9);
    const range = ['--from', String(timeS - 60), '--until', String(timeS + 3600)];
    const query = await runKiln(['query', '--server', server.url, '--app', 'upload-go', '--top', '3', ...range]);
    assert.equal(query.code, 0, query.stderr);
    const lines = query.stdout.trim().split('\n');
    assert.match(lines[0]!, /self\s+self%\s+total\s+total%\s+function/);
    // go tool pprof -top (testdata/go/cpu.cpu.top.txt): 520000000ns flat, 7.43% of 7000000000ns.
    assert.match(lines[1]!, /^\s*520\.0ms\s+7\.43%\s+520\.0ms\s+7\.43%\s+crypto\/sha256\.block$/);
    assert.match(lines[2]!, /^\s*430\.0ms\s+6\.14%\s+1\.05s\s+15\.00%\s+runtime\.mallocgc$/);
    assert.match(lines.at(-1)!, /^total 7\.00s; \d+ more functions/);

    const env = await runKiln([
      'query',
      '--server',
      server.url,
      '--query',
      '{service_name="upload-go",env="test"}',
      '--top',
      '1',
      ...range,
    ]);
    assert.match(env.stdout, /crypto\/sha256\.block/);
    const other = await runKiln([
      'query',
      '--server',
      server.url,
      '--query',
      '{service_name="upload-go",env="prod"}',
      ...range,
    ]);
    assert.match(other.stdout, /^total 0/m);

    const html = join(dir, 'go.html');
    const pprof = join(dir, 'go.pb.gz');
    const folded = join(dir, 'go.folded');
    for (const out of [html, pprof, folded]) {
      const r = await runKiln(['query', '--server', server.url, '--app', 'upload-go', '--out', out, ...range]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.match(
      readFileSync(html, 'utf8'),
      /<script type="application\/json" id="kiln-data">.*crypto\/sha256\.block/s,
    );
    const merged = parseProfile(readFileSync(pprof)).profile;
    assert.equal(sumValues(merged, 0), 7_000_000_000);
    const foldedTotal = readFileSync(folded, 'utf8')
      .trim()
      .split('\n')
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    assert.equal(foldedTotal, 7_000_000_000);
  });

  test('several formats at once; perf script and folded become CPU time; a bad file is named and the rest still land', async () => {
    const foldedFile = join(dir, 'stacks.folded');
    writeFileSync(foldedFile, 'main;work 30\nmain;idle 10\n');
    const notAProfile = join(dir, 'notes.txt');
    writeFileSync(notAProfile, 'these are not stacks\n');
    const perf = testdata('perf', 'c', 'burn.perf-script.txt');
    const run = await runKiln([
      'upload',
      perf,
      foldedFile,
      notAProfile,
      '--app',
      'upload-mixed',
      '--server',
      server.url,
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /notes\.txt: ERR_FORMAT_\w+/);
    assert.match(run.stderr, /2 of 3 file\(s\) uploaded as upload-mixed/);
    const perfProfile = parseProfile(readFileSync(perf)).profile;
    const perfCpu = sumValues(
      perfProfile,
      perfProfile.sampleTypes.findIndex((t) => t.type === 'cpu'),
    );
    const result = await topFunctions(server.url, 'upload-mixed', CPU);
    // folded counts at the default 100 Hz: 40 samples are 400 ms.
    assert.equal(result.total, perfCpu + 400_000_000);
    assert.equal(result.top.find((f) => f.name === 'work')?.self, 300_000_000);
  });

  test('--app is required; an unreachable server is a named error', async () => {
    const missing = await runKiln(['upload', testdata('go', 'cpu.pb.gz')], {
      env: { KILN_APPLICATION_NAME: '', PYROSCOPE_APPLICATION_NAME: '' },
    });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--app <name> is required/);
    const down = await runKiln(['upload', testdata('go', 'cpu.pb.gz'), '--app', 'x', '--server', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /ERR_CLI_SERVER: http:\/\/127\.0\.0\.1:9 could not be reached/);
    const query = await runKiln(['query', '--server', 'http://127.0.0.1:9', '--app', 'x']);
    assert.equal(query.code, 1);
    assert.match(query.stderr, /ERR_CLI_SERVER/);
  });
});
