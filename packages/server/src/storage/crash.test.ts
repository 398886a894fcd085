import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mergeCallTrees } from '@kiln/model';
import { openEmbeddedStore } from './embedded-store.js';
import {
  CRASH_PROFILE_TYPE,
  CRASH_STEP_MS,
  CRASH_TENANT,
  crashPod,
  crashProfile,
} from './test-helpers/crash-writer.js';
import { treeOfInput } from './test-helpers/stack-samples.js';

// kill -9 in the middle of a stream of writes: every profile whose write() resolved must be
// there after reopening, with its exact value, and the store must open cleanly and keep
// accepting writes. The kill point is random within each band (printed as a diagnostic;
// KILN_CRASH_KILL_AFTER=<n> replays one).

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../../..');
const writer = join(here, 'test-helpers', 'crash-writer.ts');
const DAY_MS = 86_400_000;

interface WriterRun {
  acked: number[];
  signal: NodeJS.Signals | null;
  exitCode: number | null;
  stderr: string;
}

/** Runs crash-writer.ts and SIGKILLs it once `killAfter` ACK lines have arrived. */
async function runUntilKilled(dataDir: string, baseMs: number, killAfter: number): Promise<WriterRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', writer, dataDir, String(baseMs)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // readline only emits complete lines: an ACK cut short by the kill does not count.
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /^ACK (\d+)$/.exec(line);
    if (!m) return;
    acked.push(Number(m[1]));
    if (acked.length >= killAfter && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve([code, sig]));
  });
  return { acked, signal, exitCode, stderr };
}

const bands: [number, number][] = [
  [20, 60],
  [60, 130],
  [130, 200],
];

for (const [low, high] of bands) {
  test(`kill -9 after ${low} to ${high} ACKs loses no acknowledged profile`, { timeout: 60_000 }, async (t) => {
    const killAfter = Number(process.env.KILN_CRASH_KILL_AFTER) || low + Math.floor(Math.random() * (high - low + 1));
    t.diagnostic(`killing after ${killAfter} ACKs`);
    const baseMs = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
    const dataDir = mkdtempSync(join(tmpdir(), 'kiln-store-'));
    try {
      const run = await runUntilKilled(dataDir, baseMs, killAfter);
      assert.equal(run.signal, 'SIGKILL', `the writer was killed (exit ${run.exitCode}); stderr:\n${run.stderr}`);
      assert.ok(run.acked.length >= killAfter, `${run.acked.length} ACKs`);
      assert.deepEqual(
        run.acked,
        run.acked.map((_, i) => i),
        'ACKs arrive in order',
      );
      const lastAcked = run.acked.length - 1;
      t.diagnostic(`${run.acked.length} profiles acknowledged`);

      const store = await openEmbeddedStore({ dataDir, compactIntervalMs: 0 });
      try {
        const range = {
          tenant: CRASH_TENANT,
          profileType: CRASH_PROFILE_TYPE,
          startMs: baseMs,
          endMs: baseMs + (lastAcked + 10) * CRASH_STEP_MS,
        };
        const series = await store.selectSeries({ ...range, stepMs: CRASH_STEP_MS, groupBy: ['pod'] });
        const present = new Map<number, number>();
        for (const s of series) {
          for (const [timeMs, value] of s.points) {
            const k = (timeMs - baseMs) / CRASH_STEP_MS;
            assert.ok(Number.isInteger(k) && k >= 0, `point at ${timeMs}`);
            assert.equal(s.labels.pod, crashPod(k), `profile ${k} is in its series`);
            assert.ok(!present.has(k), `profile ${k} appears once`);
            present.set(k, value);
          }
        }
        const missing = run.acked.filter((k) => present.get(k) !== k + 1);
        const found = missing.slice(0, 5).map((k) => [k, present.get(k) ?? null]);
        assert.equal(
          missing.length,
          0,
          `${missing.length} of ${run.acked.length} ACKed profiles missing or wrong; first [k, value found]: ${JSON.stringify(found)}`,
        );
        // Beyond the ACKs, only the batch in flight at the kill (at most 3 profiles) may have landed.
        for (const [k, value] of present) {
          assert.equal(value, k + 1, `profile ${k} has its value`);
          assert.ok(k <= lastAcked + 3, `profile ${k} was never written by the writer`);
        }
        const tree = await store.selectMergeTree(range);
        const expected = mergeCallTrees([...present.keys()].map((k) => treeOfInput(crashProfile(k, baseMs))));
        assert.deepEqual(tree.toFolded(), expected.toFolded(), 'merged tree of what is there');

        const next = crashProfile(lastAcked + 100, baseMs);
        const result = await store.write(CRASH_TENANT, [next]);
        assert.deepEqual(result, { written: 1, rejected: [] }, 'accepts a write after the crash');
        const after = await store.selectMergeTree({
          ...range,
          startMs: next.timeMs,
          endMs: next.timeMs + CRASH_STEP_MS,
        });
        assert.equal(after.totalValue, lastAcked + 101);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
