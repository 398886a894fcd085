// The agent against servers that are down, failing or hanging: it buffers within its bound,
// catches up, and never changes what the host program does or how long it lives.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import { Receiver, reservePort } from './test-helpers/receiver.js';
import { WORKLOAD, runChild, statsFrom } from './test-helpers/run-child.js';

test('server down, then 503, then up: buffered profiles arrive, at most maxBufferedProfiles of them', async () => {
  const port = await reservePort();
  const maxBufferedProfiles = 4;
  const program = { KILN_TEST_RUN_MS: '6000', KILN_TEST_EXIT_CODE: '3' };
  const baseline = runChild([WORKLOAD, 'steady'], { env: program });
  const startedMs = Date.now();
  const profiled = runChild([WORKLOAD, 'steady'], {
    env: {
      ...program,
      KILN_TEST_AGENT: JSON.stringify({
        appName: 'agent-test.outage',
        serverAddress: `http://127.0.0.1:${port}`,
        uploadIntervalMs: 300,
        maxBufferedProfiles,
        retryInitialDelayMs: 50,
        retryMaxDelayMs: 150,
      }),
    },
  });

  // Connection refused for ~1.2 s, then HTTP 503 until 1.5 s after the agent's first retry
  // reached it (about 10 profiles taken meanwhile, however slowly a loaded machine started the
  // child), then 200.
  await sleep(1200 - (Date.now() - startedMs));
  const receiver = await Receiver.start(port);
  receiver.status = 503;
  for (const deadline = Date.now() + 10_000; receiver.requests.length === 0 && Date.now() < deadline;) {
    await sleep(20);
  }
  await sleep(1500);
  receiver.status = 200;
  const upSinceMs = Date.now();
  try {
    const [plain, withAgent] = await Promise.all([baseline, profiled]);

    assert.equal(plain.code, 3, plain.stderr);
    assert.equal(withAgent.code, 3, withAgent.stderr);
    assert.equal(withAgent.stdout, plain.stdout);

    assert.ok(
      receiver.requests.some((r) => r.status === 503),
      'retries reached the server while it answered 503',
    );
    const stats = statsFrom(withAgent.stderr);
    const accepted = receiver.accepted();
    assert.equal(stats.uploaded, accepted.length);
    assert.ok(stats.failedAttempts! > 0, 'failed attempts were counted');
    assert.ok(stats.dropped! > 0, `about 15 profiles were taken during the outage, so some were dropped`);
    // Nothing vanished silently: every profile taken was uploaded or counted as dropped.
    assert.equal(stats.collected, stats.uploaded! + stats.dropped! + stats.rejected!);
    assert.equal(stats.buffered, 0);

    // A profile's time is its window's start (@datadog/pprof stamps the end; the agent fixes it).
    for (const upload of accepted) {
      const profile = parsePprof(upload.body)!;
      const endMs = (profile.timeNs + profile.durationNs) / 1e6;
      assert.ok(endMs <= upload.receivedAtMs + 50, `a profile ending at ${endMs} arrived at ${upload.receivedAtMs}`);
    }

    // Profiles from the outage (ended before the server said 200) that still arrived: about the
    // buffer's worth, the newest ones. One more may have been in flight when the buffer filled;
    // a tick (a cpu and a heap profile) during the last retry delay pushes two out.
    const fromOutage = accepted.filter((upload) => {
      const profile = parsePprof(upload.body)!;
      const endNs = profile.timeNs + profile.durationNs;
      return endNs / 1e6 < upSinceMs;
    });
    assert.ok(
      // The lower bound is loose: on a loaded machine ticks slip, so fewer profiles may be taken.
      fromOutage.length >= Math.ceil(maxBufferedProfiles / 2) && fromOutage.length <= maxBufferedProfiles + 1,
      `${fromOutage.length} profiles from the outage arrived; the buffer holds ${maxBufferedProfiles}`,
    );
    // They were sent back to back once the server came up, not one per interval.
    const catchUpMs = Math.max(...fromOutage.map((u) => u.receivedAtMs)) - upSinceMs;
    // One per interval would take maxBufferedProfiles × 300 ms; back to back is far less, even under load.
    assert.ok(catchUpMs < maxBufferedProfiles * 300, `the outage backlog took ${catchUpMs} ms to arrive`);
  } finally {
    await receiver.close();
  }
});

test('a server that never answers neither keeps the process alive nor holds stop() past stopTimeoutMs', async () => {
  const receiver = await Receiver.start();
  receiver.status = 0;
  try {
    const program = { KILN_TEST_RUN_MS: '800', KILN_TEST_EXIT_CODE: '4' };
    const agent = {
      appName: 'agent-test.hang',
      serverAddress: receiver.url,
      uploadIntervalMs: 200,
      requestTimeoutMs: 10_000,
      stopTimeoutMs: 1_000,
    };
    const [plain, noStop, withStop] = await Promise.all([
      runChild([WORKLOAD, 'steady'], { env: program }),
      runChild([WORKLOAD, 'steady'], {
        env: { ...program, KILN_TEST_AGENT: JSON.stringify(agent), KILN_TEST_NO_STOP: '1' },
      }),
      runChild([WORKLOAD, 'steady'], { env: { ...program, KILN_TEST_AGENT: JSON.stringify(agent) } }),
    ]);
    assert.ok(receiver.requests.length >= 2, 'uploads were in flight, unanswered');
    for (const child of [plain, noStop, withStop]) {
      assert.equal(child.code, 4, child.stderr);
      assert.equal(child.stdout, plain.stdout);
    }
    // Without stop(), the program ends when its own work does: the hanging upload's socket and
    // the agent's timers are unref'd. (A kept-alive process would last requestTimeoutMs, 10 s.)
    assert.ok(noStop.durationMs < plain.durationMs + 1500, `ran ${noStop.durationMs} ms vs ${plain.durationMs} ms`);
    // With stop(), it waits for the uploads at most stopTimeoutMs (1 s), then gives up.
    assert.ok(
      withStop.durationMs < plain.durationMs + 1000 + 1500,
      `ran ${withStop.durationMs} ms vs ${plain.durationMs} ms`,
    );
    assert.ok(statsFrom(withStop.stderr).dropped! >= 1, 'what stop() could not send is counted as dropped');
  } finally {
    await receiver.close();
  }
});
