import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parseProfile } from '@kiln/formats';
import { buildCallTree, selectTopFunctions } from '@kiln/model';
import { launchChromium } from '../../../ui/e2e/browser.js';
import { startTestServer, type TestServer } from '../../../server/src/test-helpers/server.js';
import {
  buildCProgram,
  buildGoProgram,
  PROGRAMS,
  runKiln,
  selfShare,
  startKiln,
  topFunctions,
  waitFor,
} from '../test-helpers/kiln-cli.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

/** Starts a program and resolves once it printed `ready` on stdout. */
async function startProgram(command: string, args: string[], ready: string) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  await waitFor(`${command} to start`, async () => (out.includes(ready) ? true : null));
  return child;
}

describe('kiln connect', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  test('--pid of a running Go program (perf, chosen by auto): main.burnGoHot leads; SIGINT detaches and leaves it running', async () => {
    const go = await startProgram(buildGoProgram(), [], 'burn-go ready');
    try {
      const kiln = startKiln([
        'connect',
        '--pid',
        String(go.pid),
        '--server',
        server.url,
        '--app',
        'connect-go',
        '--upload-interval',
        '1s',
      ]);
      const result = await waitFor('connect-go profiles', async () => {
        const r = await topFunctions(server.url, 'connect-go', CPU);
        return r.total >= 0.5e9 ? r : null;
      });
      kiln.child.kill('SIGINT');
      const run = await kiln.done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /profiling process \d+ as connect-go with perf/);
      assert.equal(result.top[0]!.name, 'main.burnGoHot', JSON.stringify(result.top.slice(0, 3)));
      assert.ok(selfShare(result, 'main.burnGoHot') > 0.8);
      assert.equal(go.exitCode, null, 'the Go program still runs after kiln detached');
    } finally {
      go.kill('SIGKILL');
    }
  });

  test('--pid of a running Node process (V8 inspector): its hot function leads; the session ends when it exits', async () => {
    const node = await startProgram(process.execPath, [join(PROGRAMS, 'burn-node.mjs'), '300000'], 'burn-node started');
    try {
      const kiln = startKiln([
        'connect',
        '--pid',
        String(node.pid),
        '--server',
        server.url,
        '--app',
        'connect-node',
        '--upload-interval',
        '1s',
      ]);
      const result = await waitFor('connect-node profiles', async () => {
        const r = await topFunctions(server.url, 'connect-node', CPU);
        return r.total >= 0.5e9 ? r : null;
      });
      node.kill('SIGTERM'); // kiln's session ends on its own when the program exits
      const run = await kiln.done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /with node/);
      assert.ok(result.top[0]!.name.includes('burnNodeHot'), JSON.stringify(result.top.slice(0, 3)));
    } finally {
      node.kill('SIGKILL');
    }
  });

  test('--pid of no process is a named error', async () => {
    const run = await runKiln(['connect', '--pid', '999999999', '--server', server.url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ERR_CLI_NO_SUCH_PROCESS/);
  });
});

describe('kiln adhoc', () => {
  test('a C program under perf: HTML, pprof and folded files; the HTML opens in Chromium and shows hot_c_loop', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kiln-adhoc-'));
    const binary = buildCProgram();
    const run = await runKiln(['adhoc', '--out', out, '--upload-interval', '1s', '--', binary, '2']);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, 'burn-c done\n');
    const files = readdirSync(out).sort();
    assert.equal(files.length, 3, files.join(', '));
    const html = files.find((f) => f.endsWith('.html'))!;
    const pprof = files.find((f) => f.endsWith('.pb.gz'))!;
    const folded = files.find((f) => f.endsWith('.folded'))!;
    assert.match(html, /^burn-c-\d{8}-\d{6}\.html$/);

    const profile = parseProfile(readFileSync(join(out, pprof))).profile;
    const top = selectTopFunctions(buildCallTree(profile));
    assert.equal(top[0]!.name, 'hot_c_loop');
    const foldedTotal = readFileSync(join(out, folded), 'utf8')
      .trim()
      .split('\n')
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    assert.equal(
      foldedTotal,
      top.reduce((s, f) => s + f.self, 0),
      'folded and pprof hold the same samples',
    );

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(join(out, html)).href);
      await page.locator('canvas').first().waitFor();
      assert.equal(await page.locator('h1').textContent(), 'burn-c');
      await page.getByTestId('flame-search').fill('hot_c_loop');
      const share = await page.getByTestId('flame-search-share').textContent();
      const percent = Number(/([\d.]+)\s*%/.exec(share ?? '')?.[1]);
      assert.ok(percent > 80, `hot_c_loop is ${share} of the flame graph`);
    } finally {
      await browser.close();
    }
  });

  test('a Node program runs with the agent sending to kiln itself: the files show burnNodeHot', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kiln-adhoc-'));
    const run = await runKiln([
      'adhoc',
      '--out',
      out,
      '--name',
      'node-run',
      '--',
      'node',
      join(PROGRAMS, 'burn-node.mjs'),
      '2000',
    ]);
    assert.equal(run.code, 7, run.stderr);
    const pprof = readdirSync(out).find((f) => f.endsWith('.pb.gz'))!;
    assert.match(pprof, /^node-run-/);
    const profile = parseProfile(readFileSync(join(out, pprof))).profile;
    assert.equal(profile.sampleTypes[profile.defaultSampleType]!.type, 'cpu');
    const top = selectTopFunctions(buildCallTree(profile, { sampleType: profile.defaultSampleType }));
    assert.ok(top[0]!.name.includes('burnNodeHot'), JSON.stringify(top.slice(0, 3)));
  });
});
