// A program for the sample-label tests. argv[2] is the scenario:
//   labels  wrapWithLabels around CPU work (a synchronous call, and an async function whose
//           continuations and a timer it starts run after wrapWithLabels returned), setLabels
//           on a timer chain, and CPU work outside any label
//   otel    the real OpenTelemetry SDK (sdk-trace-base, context-async-hooks) with
//           SpanLabelsContextManager (KILN_TEST_SPAN_ID: its spanId option) and
//           ProfileIdSpanProcessor: a span around CPU work, a child span inside it, and CPU work
//           outside any span; prints every span's ids and pyroscope.profile.id attribute as
//           `SPANS [...]` on stdout
// KILN_TEST_RUN_MS is how long it runs; KILN_TEST_AGENT (JSON AgentOptions) starts the agent,
// which is stopped (flushing its last profile) at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Span } from '@opentelemetry/api';
import { getLabels, setLabels, startProfiling, wrapWithLabels } from '@kiln/agent';

const scenario = process.argv[2] ?? 'labels';
const runMs = Number(process.env.KILN_TEST_RUN_MS ?? 1500);

function burn(sliceMs: number): number {
  const end = Date.now() + sliceMs;
  let x = 1;
  while (Date.now() < end) for (let i = 0; i < 20_000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}
// One function per place the labels are checked, so the profile tells them apart by name.
function kilnTestBurnSync(ms: number): number {
  return burn(ms);
}
function kilnTestBurnAsync(ms: number): number {
  return burn(ms);
}
function kilnTestBurnTimer(ms: number): number {
  return burn(ms);
}
function kilnTestBurnSetLabels(ms: number): number {
  return burn(ms);
}
function kilnTestBurnUnlabeled(ms: number): number {
  return burn(ms);
}
function kilnTestBurnInSpan(ms: number): number {
  return burn(ms);
}
function kilnTestBurnInChildSpan(ms: number): number {
  return burn(ms);
}
function kilnTestBurnOutsideSpan(ms: number): number {
  return burn(ms);
}

async function labels(): Promise<void> {
  const end = Date.now() + runMs;
  const timers: Promise<void>[] = [];
  // A chain of timers labeled by setLabels in its first callback; each next timer inherits it.
  const chain = new Promise<void>((resolve) => {
    setTimeout(
      function tick(first: boolean) {
        if (first) setLabels({ worker: 'chain' });
        kilnTestBurnSetLabels(5);
        if (Date.now() < end) setTimeout(tick, 10, false);
        else resolve();
      },
      0,
      true,
    );
  });
  while (Date.now() < end) {
    wrapWithLabels({ route: '/sync', n: 1 }, kilnTestBurnSync, 10);
    const pending = wrapWithLabels({ route: '/async' }, async () => {
      await sleep(1);
      kilnTestBurnAsync(10);
      timers.push(sleep(15).then(() => void kilnTestBurnTimer(5)));
      // Nested: the inner labels add to the outer ones.
      if (wrapWithLabels({ step: 'inner' }, getLabels).route !== '/async') throw new Error('labels not merged');
    });
    kilnTestBurnUnlabeled(10);
    await pending;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all([chain, ...timers]);
}

async function otel(): Promise<void> {
  const { context, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
  const { ProfileIdSpanProcessor, SpanLabelsContextManager } = await import('@kiln/agent/otel');
  const spanId = process.env.KILN_TEST_SPAN_ID === 'active' ? 'active' : 'local-root';
  context.setGlobalContextManager(
    new SpanLabelsContextManager(new AsyncLocalStorageContextManager(), { spanId }).enable(),
  );
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new ProfileIdSpanProcessor()] }));
  const tracer = trace.getTracer('kiln-agent-test');

  const spans: Array<{ name: string; spanId: string; traceId: string; profileId: unknown }> = [];
  const end = Date.now() + runMs;
  while (Date.now() < end) {
    await tracer.startActiveSpan('checkout', async (span) => {
      spans.push({ name: 'checkout', ...ids(span) });
      await sleep(1);
      kilnTestBurnInSpan(10);
      tracer.startActiveSpan('price', (child) => {
        spans.push({ name: 'price', ...ids(child) });
        kilnTestBurnInChildSpan(10);
        child.end();
      });
      span.end();
    });
    kilnTestBurnOutsideSpan(10);
    await new Promise((resolve) => setImmediate(resolve));
  }
  console.log(`SPANS ${JSON.stringify(spans)}`);
}

function ids(span: Span): { spanId: string; traceId: string; profileId: unknown } {
  const { spanId, traceId } = span.spanContext();
  // An SDK span's attributes, as the processors and exporters see them.
  const attributes = (span as unknown as { attributes: Record<string, unknown> }).attributes;
  return { spanId, traceId, profileId: attributes['pyroscope.profile.id'] };
}

const agent = process.env.KILN_TEST_AGENT
  ? startProfiling({
      ...(JSON.parse(process.env.KILN_TEST_AGENT) as { appName: string }),
      logger: (level, message, err) => process.stderr.write(`agent ${level}: ${message} ${String(err ?? '')}\n`),
    })
  : undefined;
if (scenario === 'otel') await otel();
else await labels();
await agent?.stop();
