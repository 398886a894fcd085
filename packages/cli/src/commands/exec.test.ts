import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../../server/src/test-helpers/server.js';
import {
  buildCProgram,
  outputSoFar,
  PROGRAMS,
  PYTHON38,
  runKiln,
  selfShare,
  startKiln,
  topFunctions,
  waitFor,
} from '../test-helpers/kiln-cli.js';

const NODE_CPU = 'process_cpu:cpu:nanoseconds:wall:nanoseconds';
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const WALL = 'wall:wall:nanoseconds:wall:nanoseconds';

describe('kiln exec', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  test('a Node program runs with the agent (NODE_OPTIONS): its hot function leads the CPU flame graph; exit code, stdin and stdout pass through', async () => {
    const run = await runKiln(
      [
        'exec',
        '--server',
        server.url,
        '--app',
        'exec-node',
        '--upload-interval',
        '1s',
        '--',
        'node',
        join(PROGRAMS, 'burn-node.mjs'),
        '2500',
        'echo',
      ],
      { input: 'hello from stdin\n' },
    );
    assert.equal(run.code, 7, run.stderr);
    assert.equal(run.stdout, 'burn-node started\nHELLO FROM STDIN\nburn-node done\n');
    const result = await waitFor('exec-node profiles', async () => {
      const r = await topFunctions(server.url, 'exec-node', NODE_CPU);
      return r.total > 0 ? r : null;
    });
    assert.equal(result.top[0]!.name.includes('burnNodeHot'), true, JSON.stringify(result.top.slice(0, 3)));
    assert.ok(selfShare(result, 'burnNodeHot') > 0.5, `burnNodeHot self share ${selfShare(result, 'burnNodeHot')}`);
  });

  test('a C program under --spy perf: hot_c_loop leads the CPU flame graph; exit code and stdout pass through', async () => {
    const binary = buildCProgram();
    const run = await runKiln([
      'exec',
      '--server',
      server.url,
      '--app',
      'exec-c',
      '--spy',
      'perf',
      '--upload-interval',
      '1s',
      '--',
      binary,
      '3',
    ]);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, 'burn-c done\n');
    assert.doesNotMatch(run.stderr, /profiling (is off|stopped)/);
    const result = await topFunctions(server.url, 'exec-c', CPU);
    // At least 20 samples (the machine may be busy: the program gets what CPU it gets).
    assert.ok(result.total >= 0.2e9, `at least 0.2 s of CPU sampled, got ${result.total} ns`);
    assert.equal(result.top[0]!.name, 'hot_c_loop');
    assert.ok(selfShare(result, 'hot_c_loop') > 0.8, `hot_c_loop self share ${selfShare(result, 'hot_c_loop')}`);
  });

  test('a Node program under --spy perf gets V8 perf maps: JavaScript frames are named', async () => {
    const run = await runKiln([
      'exec',
      '--server',
      server.url,
      '--app',
      'exec-node-perf',
      '--spy',
      'perf',
      '--upload-interval',
      '1s',
      '--',
      'node',
      join(PROGRAMS, 'burn-node.mjs'),
      '2500',
    ]);
    assert.equal(run.code, 7, run.stderr);
    const result = await topFunctions(server.url, 'exec-node-perf', CPU);
    const hot = result.top.filter((f) => f.name.startsWith('burnNodeHot '));
    assert.ok(hot.length > 0, JSON.stringify(result.top.slice(0, 5)));
    assert.ok(hot.reduce((s, f) => s + f.total, 0) / result.total > 0.5);
  });

  test('a native program under --spy auto is sampled by perf', async () => {
    const binary = buildCProgram();
    const run = await runKiln([
      'exec',
      '--server',
      server.url,
      '--app',
      'exec-auto',
      '--upload-interval',
      '1s',
      '--',
      binary,
      '2',
    ]);
    assert.equal(run.code, 3, run.stderr);
    const result = await topFunctions(server.url, 'exec-auto', CPU);
    assert.equal(result.top[0]!.name, 'hot_c_loop');
  });

  test('a Python 3.8 program under austin: hot_loop shows in the wall-clock flame graph', async () => {
    const run = await runKiln([
      'exec',
      '--server',
      server.url,
      '--app',
      'exec-py',
      '--spy',
      'austin',
      '--upload-interval',
      '1s',
      '--',
      PYTHON38,
      join(PROGRAMS, 'burn.py'),
      '3',
    ]);
    assert.equal(run.code, 5, run.stderr);
    assert.equal(run.stdout, 'burn-py done\n');
    const result = await topFunctions(server.url, 'exec-py', WALL);
    assert.ok(result.total >= 1e9, `at least 1 s of wall time sampled, got ${result.total} ns`);
    // Named relative to the program's working directory (kiln's cwd: the repository).
    const hot = result.top.find((f) => f.name === 'hot_loop (packages/cli/src/test-helpers/programs/burn.py)');
    assert.ok(hot, JSON.stringify(result.top.slice(0, 5)));
    assert.ok(hot.self / result.total > 0.5, `hot_loop self share ${hot.self / result.total}`);
  });

  test('SIGTERM to kiln reaches the program; kiln ends with its exit code, or by its signal', async () => {
    const handled = startKiln([
      'exec',
      '--server',
      server.url,
      '--app',
      'exec-signal',
      '--',
      'node',
      join(PROGRAMS, 'burn-node.mjs'),
      '60000',
    ]);
    await waitFor('the program to start', async () => ((await outputSoFar(handled)).includes('started') ? true : null));
    handled.child.kill('SIGTERM');
    const run = await handled.done;
    assert.match(run.stdout, /got SIGTERM/);
    assert.equal(run.code, 143, `${run.signal} ${run.stderr}`);

    // `sleep` dies of SIGTERM; kiln re-raises it on itself, so its parent sees the signal.
    const killed = startKiln([
      'exec',
      '--server',
      server.url,
      '--app',
      'exec-signal',
      '--spy',
      'perf',
      '--',
      'sh',
      '-c',
      'echo started; exec sleep 60',
    ]);
    await waitFor('the program to start', async () => ((await outputSoFar(killed)).includes('started') ? true : null));
    killed.child.kill('SIGTERM');
    const run2 = await killed.done;
    assert.equal(run2.signal, 'SIGTERM', `code ${run2.code}: ${run2.stderr}`);
  });

  test('a profiler that is not installed is named with what to install; the program does not start', async () => {
    const run = await runKiln(['exec', '--spy', 'py-spy', '--', PYTHON38, join(PROGRAMS, 'burn.py'), '1'], {
      env: { PATH: '/usr/bin:/bin' },
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ERR_CLI_SPY_NOT_INSTALLED: py-spy is not installed .*pip install py-spy/);
    assert.equal(run.stdout, '');
  });

  test('a spy that does not fit the program is refused; an unknown program is named', async () => {
    const wrong = await runKiln(['exec', '--spy', 'austin', '--', 'node', '-e', '1']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /ERR_CLI_SPY_UNSUPPORTED: --spy austin cannot profile a node program/);
    const missing = await runKiln(['exec', '--spy', 'perf', '--', 'no-such-program-kiln']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ERR_CLI_COMMAND_NOT_FOUND: no-such-program-kiln/);
  });

  test('usage errors exit 2: no command, a bad duration', async () => {
    assert.equal((await runKiln(['exec'])).code, 2);
    const bad = await runKiln(['exec', '--upload-interval', 'soon', '--', 'true']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a duration like 10s/);
  });
});
