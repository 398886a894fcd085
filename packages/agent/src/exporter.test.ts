// A custom exporter, as the Kiln server uses to profile itself into its own store: the agent
// in this very process, no HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import { startProfiling } from './agent.js';
import type { CollectedProfile } from './exporter.js';
import { valueWithFrame } from './test-helpers/profile-summary.js';

function kilnInProcessBurn(ms: number): number {
  const end = Date.now() + ms;
  let x = 1;
  while (Date.now() < end) for (let i = 0; i < 20_000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

test('a custom exporter receives each kind of profile, with windows, labels and a gzipped pprof', async () => {
  const received: CollectedProfile[] = [];
  const logs: string[] = [];
  const agent = startProfiling({
    appName: 'in-process',
    tags: { role: 'test' },
    uploadIntervalMs: 300,
    exporter: {
      async export(profile) {
        received.push(profile);
      },
    },
    logger: (level, message) => {
      logs.push(`${level}: ${message}`);
      throw new Error('a logger that throws must not matter');
    },
  });
  const startedMs = Date.now();
  for (let i = 0; i < 40; i++) {
    kilnInProcessBurn(20);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await agent.stop();
  await agent.stop(); // idempotent
  await agent.flush(); // after stop: nothing, no error

  const cpu = received.filter((p) => p.kind === 'cpu');
  const heap = received.filter((p) => p.kind === 'heap');
  assert.ok(cpu.length >= 2 && heap.length >= 2, `${cpu.length} cpu, ${heap.length} heap`);
  assert.deepEqual(agent.stats(), {
    collected: received.length,
    uploaded: received.length,
    dropped: 0,
    rejected: 0,
    failedAttempts: 0,
    buffered: 0,
  });
  for (const [i, p] of cpu.entries()) {
    assert.ok(p.startMs >= startedMs - 50 && p.startMs <= p.endMs);
    if (i > 0) assert.equal(p.startMs, cpu[i - 1]!.endMs, 'cpu windows are contiguous');
    assert.equal(p.sampleRateHz, 100);
    assert.equal(p.labels.role, 'test');
    assert.equal(p.labels['otel.scope.name'], 'kiln.agent/nodejs');
  }
  assert.equal(heap[0]!.sampleRateHz, undefined);
  const total = cpu.reduce((sum, p) => sum + valueWithFrame(parsePprof(p.pprofGzip)!, 'wall', 'kilnInProcessBurn'), 0);
  assert.ok(total > 400e6, `kilnInProcessBurn ran ~800 ms, profiled ${total / 1e6} ms`);
  assert.deepEqual(logs, [], 'nothing went wrong');
});

test('a failing custom exporter is retried and never throws into the caller', async () => {
  let attempts = 0;
  const warnings: string[] = [];
  const agent = startProfiling({
    logger: { warn: (message: string) => warnings.push(message) }, // console-like objects work too
    appName: 'in-process',
    uploadIntervalMs: 60_000,
    heap: false,
    retryInitialDelayMs: 10_000, // no retries in the background: only flush() and stop() try
    stopTimeoutMs: 500,
    exporter: {
      export() {
        attempts++;
        return Promise.reject(new Error('store is full'));
      },
    },
  });
  await agent.flush();
  assert.equal(attempts, 1);
  await agent.stop();
  assert.equal(attempts, 2, 'stop() tried once more');
  const stats = agent.stats();
  assert.equal(stats.collected, 2);
  assert.equal(stats.dropped, 2, 'dropped at stop, counted');
  assert.equal(stats.failedAttempts, 2);
  assert.deepEqual(
    warnings.map((w) => w.replace(/\d+ ms/, 'N ms')),
    [
      'upload failed (attempt 1); retrying in N ms',
      '2 profile(s) dropped unsent: the agent stopped before the server took them',
    ],
  );
});
