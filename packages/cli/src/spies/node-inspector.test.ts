// attachNodeInspector against real Node child processes: attach by pid, profile, detach.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { functionName, isKilnError, type Profile } from '@kiln/model';
import { attachNodeInspector } from './node-inspector.js';
import type { AttachOptions, CollectedWindow } from './spy.js';

const BURNER = fileURLToPath(new URL('./test-helpers/node-inspector-burner.cjs', import.meta.url));
const BURNER_LINE =
  readFileSync(BURNER, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('function kilnInspectorBurner')) + 1;
/** Generous: these wait for events, they do not time anything. */
const DEADLINE_MS = 20_000;

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly exited: Promise<void>;
  stderr(): string;
}

const started: Child[] = [];
after(() => {
  for (const child of started) if (isAlive(child)) child.process.kill('SIGKILL');
});

/** A Node child run from the test-helpers folder (its cwd), ready once it printed `ready`. */
async function startNode(args: string[]): Promise<Child> {
  const proc = spawn(process.execPath, args, {
    cwd: dirname(BURNER),
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '' },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = { process: proc, pid: proc.pid!, exited, stderr: () => stderr };
  started.push(child);
  await waitFor(() => stdout.includes('ready') || !isAlive(child), 'the child to start');
  assert.ok(isAlive(child), `the child exited: ${stderr}`);
  return child;
}

function isAlive(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

/** The port of the last "Debugger listening on ws://127.0.0.1:PORT/..." the child printed. */
function inspectorPortOf(child: Child): number {
  const ports = [...child.stderr().matchAll(/Debugger listening on ws:\/\/[^/]+:(\d+)\//g)].map((m) => Number(m[1]));
  assert.ok(ports.length > 0, `no inspector port in the child's stderr: ${child.stderr()}`);
  return ports.at(-1)!;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadlineMs = Date.now() + DEADLINE_MS;
  while (!(await predicate())) {
    if (Date.now() > deadlineMs) assert.fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function recorder(): AttachOptions & { windows: CollectedWindow[]; warnings: string[] } {
  const windows: CollectedWindow[] = [];
  const warnings: string[] = [];
  return {
    intervalMs: 1000,
    sampleRateHz: 100,
    windows,
    warnings,
    onWindow: (w) => windows.push(w),
    onWarning: (m) => warnings.push(m),
  };
}

/** Self (leaf) time per function name over profiles. */
function selfByFunction(profiles: readonly Profile[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of profiles) {
    for (let i = 0; i < p.samples.length; i++) {
      const leaf = p.samples.stack[p.samples.stackStart[i]!]!;
      const name = functionName(p, p.locations.lineFunction[p.locations.lineStart[leaf]!]!);
      out.set(name, (out.get(name) ?? 0) + p.samples.values[i]!);
    }
  }
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isKilnError(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  });
}

test('profiles a running CommonJS program by pid: its burner has most of the CPU time; stop() leaves it running with its inspector closed', async () => {
  // --inspect-port=0: the inspector opens on a random port, which must be found without a hint.
  const child = await startNode(['--inspect-port=0', BURNER]);
  const options = recorder();
  const session = await attachNodeInspector(child.pid, options);
  const port = inspectorPortOf(child);
  assert.notEqual(port, 9229);
  await waitFor(() => options.windows.length >= 2, 'two windows');
  await session.stop();
  await session.ended;

  assert.deepEqual(options.warnings, []);
  const { windows } = options;
  assert.ok(windows.length >= 3, `two windows and the last one from stop(), got ${windows.length}`);
  for (const [i, w] of windows.entries()) {
    assert.equal(w.spyName, 'nodespy');
    assert.ok(w.startMs < w.endMs);
    if (i > 0) assert.equal(w.startMs, windows[i - 1]!.endMs, 'windows follow each other without gaps');
    assert.deepEqual(w.profile.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
    assert.equal(w.profile.period, 10_000_000);
  }
  const self = selfByFunction(windows.map((w) => w.profile));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const [hottest, hottestNs] = [...self].sort((a, b) => b[1] - a[1])[0]!;
  // Named as the Pyroscope SDK names it, relative to the child's working directory.
  assert.equal(hottest, `./node-inspector-burner.cjs:kilnInspectorBurner:${BURNER_LINE}`);
  assert.ok(hottestNs > total / 2, `the burner has ${hottestNs} of ${total} ns`);
  assert.ok(!self.has('(idle)'), 'idle time is not CPU time');

  assert.ok(isAlive(child), 'the target still runs');
  await waitFor(() => refusesConnections(port), `port ${port} to refuse connections`);

  // Left as it was: it can be attached to again.
  const again = recorder();
  const second = await attachNodeInspector(child.pid, again);
  await second.stop();
  assert.deepEqual(again.warnings, []);
  assert.ok(isAlive(child));
  await waitFor(() => refusesConnections(inspectorPortOf(child)), 'the reopened inspector to close');
});

test('an ES module program: stop() closes its inspector as well', async () => {
  const child = await startNode([
    '--inspect-port=0',
    '--input-type=module',
    '-e',
    "setInterval(() => {}, 1_000); process.stdout.write('ready\\n');",
  ]);
  const options = recorder();
  const session = await attachNodeInspector(child.pid, options);
  await session.stop();
  assert.deepEqual(options.warnings, []);
  assert.ok(isAlive(child));
  await waitFor(() => refusesConnections(inspectorPortOf(child)), 'the inspector to close');
});

test('an inspector that was open before the attach (--inspect) is left open by stop()', async () => {
  const child = await startNode(['--inspect=127.0.0.1:0', BURNER]);
  const port = inspectorPortOf(child);
  const options = recorder();
  const session = await attachNodeInspector(child.pid, options);
  await session.stop();
  assert.deepEqual(options.warnings, []);
  assert.equal(options.windows.length, 1);
  assert.ok(isAlive(child));
  assert.equal(await refusesConnections(port), false, 'its inspector still listens');
});

test('a second attach while one is attached is refused with ERR_CLI_INSPECTOR; the first goes on', async () => {
  const child = await startNode(['--inspect-port=0', BURNER]);
  const first = recorder();
  const session = await attachNodeInspector(child.pid, first);
  await rejectsWith(attachNodeInspector(child.pid, recorder()), 'ERR_CLI_INSPECTOR');
  await session.stop();
  assert.deepEqual(first.warnings, []);
  assert.equal(first.windows.length, 1, 'the first session still takes its window');
  assert.ok(isAlive(child));
});

test('an inspector that cannot open (its port is taken) is ERR_CLI_INSPECTOR, and the target lives on', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = blocker.address() as AddressInfo;
    const child = await startNode([`--inspect-port=${port}`, BURNER]);
    await rejectsWith(attachNodeInspector(child.pid, recorder()), 'ERR_CLI_INSPECTOR');
    assert.ok(isAlive(child));
  } finally {
    blocker.close();
  }
});

test('a process that is not Node (does not catch SIGUSR1) is ERR_CLI_INSPECTOR and is not signalled', async () => {
  const sleeper = spawn('sleep', ['60']);
  const child: Child = {
    process: sleeper,
    pid: sleeper.pid!,
    exited: new Promise((resolve) => sleeper.once('exit', () => resolve())),
    stderr: () => '',
  };
  started.push(child);
  await rejectsWith(attachNodeInspector(child.pid, recorder()), 'ERR_CLI_INSPECTOR');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(isAlive(child), 'SIGUSR1 would have ended it');
});

test('a pid with no process is ERR_CLI_NO_SUCH_PROCESS', async () => {
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => gone.once('exit', resolve));
  await rejectsWith(attachNodeInspector(gone.pid!, recorder()), 'ERR_CLI_NO_SUCH_PROCESS');
  await rejectsWith(attachNodeInspector(-1, recorder()), 'ERR_CLI_NO_SUCH_PROCESS');
});

test('the target exiting mid-session gets its last window taken and resolves `ended`, with no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const child = await startNode(['--inspect-port=0', BURNER]);
    const options = recorder();
    const session = await attachNodeInspector(child.pid, options);
    await waitFor(() => options.windows.length >= 1, 'a window');
    const windowsBeforeExit = options.windows.length;
    child.process.stdin.write('exit\n');
    // It waits for debuggers to disconnect before it exits: the session must let it go.
    await child.exited;
    assert.equal(child.process.exitCode, 0);
    await session.ended;
    await session.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(unhandled, []);
    assert.deepEqual(options.warnings, []);
    assert.equal(options.windows.length, windowsBeforeExit + 1, 'the window up to its exit is kept');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
