import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { AgentError, AgentErrorCode } from './agent-error.js';
import type { CollectedProfile, ProfileExporter } from './exporter.js';
import type { AgentLogLevel } from './logger.js';
import { UploadQueue, computeRetryDelayMs, type UploadQueueOptions } from './upload-queue.js';

/** An exporter whose answers the test scripts: `up` decides success, attempts are recorded. */
class ScriptedExporter implements ProfileExporter {
  up = true;
  failure: unknown = new AgentError(AgentErrorCode.uploadStatus, 'HTTP 503', { retryable: true });
  readonly attempts: Array<{ id: number; atMs: number; ok: boolean }> = [];
  readonly accepted: number[] = [];

  async export(profile: CollectedProfile): Promise<void> {
    const id = profile.startMs;
    this.attempts.push({ id, atMs: Date.now(), ok: this.up });
    await sleep(1);
    if (!this.up) throw this.failure;
    this.accepted.push(id);
  }
}

function profile(id: number): CollectedProfile {
  return { kind: 'cpu', pprofGzip: new Uint8Array(8), startMs: id, endMs: id, labels: {} };
}

function queue(exporter: ProfileExporter, options: Partial<UploadQueueOptions> = {}) {
  const logs: Array<{ level: AgentLogLevel; message: string }> = [];
  const q = new UploadQueue(exporter, {
    maxBufferedProfiles: 3,
    retryInitialDelayMs: 20,
    retryMaxDelayMs: 80,
    exportTimeoutMs: 1000,
    log: (level, message) => logs.push({ level, message }),
    ...options,
  });
  return { q, logs };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('uploads in collection order, one at a time', async () => {
  const exporter = new ScriptedExporter();
  const { q } = queue(exporter);
  for (const id of [1, 2, 3]) q.push(profile(id));
  await until(() => exporter.accepted.length === 3, 'three uploads');
  assert.deepEqual(exporter.accepted, [1, 2, 3]);
  assert.deepEqual(q.stats(), { uploaded: 3, dropped: 0, rejected: 0, failedAttempts: 0, buffered: 0 });
});

test('while the server is down the buffer keeps the newest maxBufferedProfiles; then they all go, in order', async () => {
  const exporter = new ScriptedExporter();
  exporter.up = false;
  const { q, logs } = queue(exporter);
  for (let id = 1; id <= 10; id++) {
    q.push(profile(id));
    await sleep(3);
    assert.ok(q.stats().buffered <= 3, 'bounded');
  }
  await sleep(30);
  exporter.up = true;
  await until(() => q.stats().uploaded + q.stats().dropped === 10, 'the backlog to drain');
  assert.deepEqual(exporter.accepted, [8, 9, 10], 'the newest survive');
  const stats = q.stats();
  assert.equal(stats.uploaded, 3);
  assert.equal(stats.dropped, 7);
  assert.ok(stats.failedAttempts >= 1);
  // One warning for the outage's first failure and one for its first drop; the rest is debug.
  assert.equal(logs.filter((l) => l.level === 'warn').length, 2, JSON.stringify(logs));
  assert.match(logs.at(-1)!.message, /uploads resumed after \d+ failed attempts; 7 profiles dropped meanwhile/);
});

test('retries back off exponentially up to retryMaxDelayMs', async () => {
  const exporter = new ScriptedExporter();
  exporter.up = false;
  // random() = 1: no jitter, so the delays are exactly 20, 40, 80, 80 ms.
  const { q } = queue(exporter, { random: () => 1 });
  q.push(profile(1));
  await until(() => exporter.attempts.length === 5, 'five attempts');
  const gaps = exporter.attempts.slice(1).map((a, i) => a.atMs - exporter.attempts[i]!.atMs);
  const expected = [20, 40, 80, 80];
  gaps.forEach((gap, i) => assert.ok(gap >= expected[i]! && gap < expected[i]! + 50, `gaps ${gaps.join(', ')} ms`));
  q.close();
});

test('a profile the server refuses for good is dropped at once and the next one goes', async () => {
  const exporter = new ScriptedExporter();
  exporter.up = false;
  exporter.failure = new AgentError(AgentErrorCode.uploadStatus, 'HTTP 400', { retryable: false });
  const { q } = queue(exporter);
  q.push(profile(1));
  await until(() => q.stats().rejected === 1, 'the rejection');
  exporter.up = true;
  q.push(profile(2));
  await until(() => exporter.accepted.length === 1, 'the next upload');
  assert.deepEqual(exporter.accepted, [2]);
  assert.equal(q.stats().failedAttempts, 0, 'no retries for a 400');
});

test('exporters that throw synchronously or never settle cannot stall or crash the queue', async () => {
  let calls = 0;
  const { q } = queue(
    {
      export(): Promise<void> {
        calls++;
        if (calls === 1) throw new Error('sync throw');
        if (calls === 2) return new Promise(() => {});
        return Promise.resolve();
      },
    },
    { exportTimeoutMs: 50, retryInitialDelayMs: 5000 },
  );
  q.push(profile(1));
  await until(() => q.stats().failedAttempts === 1, 'the sync throw to count as a failure');
  const started = Date.now();
  // The queue's timers are unref'd (the agent's stop() holds the process instead); hold it here.
  const keepAlive = setTimeout(() => {}, 5000);
  await q.drain(); // ignores the 5 s backoff; this attempt hangs until exportTimeoutMs
  clearTimeout(keepAlive);
  assert.ok(Date.now() - started < 1000);
  assert.equal(q.stats().failedAttempts, 2);
  await q.drain();
  assert.deepEqual(q.stats(), { uploaded: 1, dropped: 0, rejected: 0, failedAttempts: 2, buffered: 0 });
});

test('drain() ignores the backoff and stops at the first failure', async () => {
  const exporter = new ScriptedExporter();
  exporter.up = false;
  const { q } = queue(exporter, { retryInitialDelayMs: 10_000, retryMaxDelayMs: 10_000 });
  q.push(profile(1));
  q.push(profile(2));
  await until(() => q.stats().failedAttempts === 1, 'the first attempt to fail');
  await q.drain();
  assert.equal(exporter.attempts.length, 2, 'one more attempt, not one per profile');
  q.push(profile(3));
  await sleep(20);
  assert.equal(exporter.attempts.length, 2, 'a new profile does not cut the backoff short');
  exporter.up = true;
  await q.drain();
  assert.deepEqual(exporter.accepted, [1, 2, 3]);
});

test('close() drops what is buffered and counts it', async () => {
  const exporter = new ScriptedExporter();
  exporter.up = false;
  const { q } = queue(exporter, { retryInitialDelayMs: 10_000, retryMaxDelayMs: 10_000 });
  for (const id of [1, 2, 3]) q.push(profile(id));
  await until(() => q.stats().failedAttempts === 1, 'the first attempt to fail');
  q.close();
  q.push(profile(4));
  assert.deepEqual(q.stats(), { uploaded: 0, dropped: 4, rejected: 0, failedAttempts: 1, buffered: 0 });
});

test('computeRetryDelayMs: doubling, capped, jittered within [half, full], raised by Retry-After', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 100].map((n) => computeRetryDelayMs(n, 1000, 30_000, () => 1)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
  assert.equal(
    computeRetryDelayMs(3, 1000, 30_000, () => 0),
    2000,
  );
  for (let i = 0; i < 100; i++) {
    const delay = computeRetryDelayMs(2, 1000, 30_000);
    assert.ok(delay >= 1000 && delay <= 2000);
  }
  assert.equal(
    computeRetryDelayMs(1, 1000, 30_000, () => 1, 5000),
    5000,
  );
  assert.equal(
    computeRetryDelayMs(1, 1000, 30_000, () => 1, 600_000),
    30_000,
    'capped',
  );
});
