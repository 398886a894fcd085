// Sample labels: wrapWithLabels/setLabels and OpenTelemetry span ids, checked in the pprof a real
// child process uploads over HTTP.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import type { AgentError } from './agent-error.js';
import { getLabels, setLabels, wrapWithLabels } from './sample-labels.js';
import { valueByLabels } from './test-helpers/profile-summary.js';
import { Receiver } from './test-helpers/receiver.js';
import { runChild } from './test-helpers/run-child.js';

const CHILD = fileURLToPath(new URL('./test-helpers/children/labels.ts', import.meta.url));

let receiver: Receiver;
before(async () => {
  receiver = await Receiver.start();
});
after(() => receiver.close());

/** Runs the child's scenario with the agent and returns its stdout and the wall time of `fns` per label set. */
async function profileScenario(
  scenario: 'labels' | 'otel',
  fns: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; byFunction: Map<string, Map<string, number>> }> {
  const app = `agent-test.labels-${scenario}-${Object.values(env).join('-')}`;
  const child = await runChild([CHILD, scenario], {
    env: {
      ...env,
      KILN_TEST_RUN_MS: '1500',
      KILN_TEST_AGENT: JSON.stringify({
        appName: app,
        serverAddress: receiver.url,
        heap: false,
        uploadIntervalMs: 60_000,
      }),
    },
  });
  assert.equal(child.code, 0, child.stderr);
  const uploads = receiver.requests.filter((r) => r.query.get('name')?.startsWith(`${app}{`));
  assert.equal(uploads.length, 1, 'the one cpu profile stop() sends');
  const profile = parsePprof(uploads[0]!.body)!;
  const byFunction = new Map(fns.map((fn) => [fn, valueByLabels(profile, 'wall', fn)]));
  return { stdout: child.stdout, byFunction };
}

test('wrapWithLabels and setLabels: samples carry the labels of the code they were taken in, across async hops', async () => {
  const { byFunction } = await profileScenario('labels', [
    'kilnTestBurnSync',
    'kilnTestBurnAsync',
    'kilnTestBurnTimer',
    'kilnTestBurnSetLabels',
    'kilnTestBurnUnlabeled',
  ]);
  const expected: Record<string, string> = {
    // The synchronous call, numbers as strings.
    kilnTestBurnSync: 'n=1,route=/sync',
    // After an await, when wrapWithLabels has long returned.
    kilnTestBurnAsync: 'route=/async',
    // A timer started inside, firing later still.
    kilnTestBurnTimer: 'route=/async',
    // Every timer of a chain after setLabels in its first callback.
    kilnTestBurnSetLabels: 'worker=chain',
    // Work right after wrapWithLabels returns, in the same function: none.
    kilnTestBurnUnlabeled: '',
  };
  for (const [fn, labels] of Object.entries(expected)) {
    const values = byFunction.get(fn)!;
    assert.ok((values.get(labels) ?? 0) > 50e6, `${fn} was sampled with {${labels}}: ${[...values.keys()]}`);
    assert.deepEqual([...values.keys()], [labels], `every sample of ${fn} has exactly {${labels}}`);
  }
});

interface SpanIds {
  name: string;
  spanId: string;
  traceId: string;
  profileId: unknown;
}

/** Runs the otel scenario; returns the spans it made and the labels `fns`' samples carry. */
async function profileSpans(
  spanId: 'local-root' | 'active',
): Promise<{ spans: SpanIds[]; byFunction: Map<string, Map<string, number>> }> {
  const fns = ['kilnTestBurnInSpan', 'kilnTestBurnInChildSpan', 'kilnTestBurnOutsideSpan'];
  const { stdout, byFunction } = await profileScenario('otel', fns, { KILN_TEST_SPAN_ID: spanId });
  const line = stdout.split('\n').find((l) => l.startsWith('SPANS '));
  assert.ok(line, stdout);
  const spans = JSON.parse(line.slice('SPANS '.length)) as SpanIds[];
  assert.ok(spans.length >= 10, `${spans.length} spans`);
  const outside = byFunction.get('kilnTestBurnOutsideSpan')!;
  assert.ok((outside.get('') ?? 0) > 50e6, 'work outside the spans was sampled');
  assert.deepEqual([...outside.keys()], [''], 'with no labels');
  return { spans, byFunction };
}

/** Asserts that every sample of `fn` carries the labels of one of `spans`, and that there were several. */
function assertSampledIn(byFunction: Map<string, Map<string, number>>, fn: string, spans: SpanIds[]): void {
  // The local root's name labels its whole subtree.
  const allowed = new Set(spans.map((s) => `span_id=${s.spanId},span_name=checkout,trace_id=${s.traceId}`));
  const sampled = [...byFunction.get(fn)!.keys()];
  assert.ok(sampled.length >= 5, `${fn} was sampled in ${sampled.length} spans`);
  for (const labels of sampled) assert.ok(allowed.has(labels), `${fn} sampled with {${labels}}`);
}

test('SpanLabelsContextManager: samples in a trace carry its local root span_id and trace_id, samples outside none', async () => {
  const { spans, byFunction } = await profileSpans('local-root');
  const roots = spans.filter((s) => s.name === 'checkout');
  assertSampledIn(byFunction, 'kilnTestBurnInSpan', roots);
  // A child span's work is its root's, as Grafana's span profiles select it.
  assertSampledIn(byFunction, 'kilnTestBurnInChildSpan', roots);
  // ProfileIdSpanProcessor marks the root spans, and only them, for Grafana's trace view.
  for (const span of spans) assert.equal(span.profileId, span.name === 'checkout' ? span.spanId : undefined);
});

test("SpanLabelsContextManager with spanId: 'active': samples carry the innermost span's id", async () => {
  const { spans, byFunction } = await profileSpans('active');
  assertSampledIn(
    byFunction,
    'kilnTestBurnInSpan',
    spans.filter((s) => s.name === 'checkout'),
  );
  assertSampledIn(
    byFunction,
    'kilnTestBurnInChildSpan',
    spans.filter((s) => s.name === 'price'),
  );
});

test('wrapWithLabels returns what fn returns, merges with the labels around it, and restores them', () => {
  const result = wrapWithLabels(
    { route: '/a', shard: 3 },
    (x: number) => {
      assert.deepEqual(getLabels(), { route: '/a', shard: '3' });
      return wrapWithLabels({ shard: 4, step: 'load' }, () => ({ inner: getLabels(), x }));
    },
    7,
  );
  assert.deepEqual(result, { inner: { route: '/a', shard: '4', step: 'load' }, x: 7 });
  assert.deepEqual(getLabels(), {});
  // What fn throws reaches the caller unchanged, and the labels end with it all the same.
  assert.throws(
    () =>
      wrapWithLabels({ route: '/b' }, () => {
        throw new RangeError('from fn');
      }),
    RangeError,
  );
  assert.deepEqual(getLabels(), {});
});

test('setLabels replaces the labels of the current async context only', async () => {
  await wrapWithLabels({ route: '/a' }, async () => {
    await Promise.resolve();
    setLabels({ job: 'sweep' });
    assert.deepEqual(getLabels(), { job: 'sweep' });
  });
  assert.deepEqual(getLabels(), {});
});

test('wrapWithLabels rejects label names a Pyroscope server cannot take, before running fn', () => {
  let ran = false;
  const run = (): void => void (ran = true);
  assert.throws(
    () => wrapWithLabels({ 'http-route': '/a' }, run),
    (err: AgentError) => {
      assert.equal(err.code, 'ERR_AGENT_INVALID_OPTIONS');
      assert.match(err.message, /label name "http-route"/);
      return true;
    },
  );
  assert.throws(() => wrapWithLabels({ ok: {} as unknown as string }, run), /label "ok" must be a string or number/);
  assert.equal(ran, false);
});
