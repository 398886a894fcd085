import { isSpanContextValid, trace, type Context, type ContextManager } from '@opentelemetry/api';
import {
  buildLabelContext,
  currentLabelContext,
  runInLabelContext,
  type LabelContext,
  type SampleLabels,
} from './sample-labels.js';

/**
 * The sample labels that link CPU samples to OpenTelemetry spans:
 *
 * - `span_id`: the span active when the sample was taken (16 hex digits), the innermost one.
 * - `trace_id`: its trace (32 hex digits).
 * - `span_name`: the name of the trace's first span in this process (its local root, e.g. the
 *   server span of an HTTP request), as Grafana's otel-profiling-go labels it.
 *
 * `span_id` and `trace_id` are the names Grafana Pyroscope reads for span profiles; servers keep
 * them out of series labels (one series per request would follow). `span_name` does become a
 * series label, so a flame graph can be filtered by endpoint.
 */
export const SPAN_LABELS = { spanId: 'span_id', traceId: 'trace_id', spanName: 'span_name' } as const;

/**
 * An OpenTelemetry context manager that makes the CPU samples taken while a span is active (in
 * `context.with`, `startActiveSpan`, bound callbacks, and the async work they start) carry the
 * span's ids as pprof sample labels (see `SPAN_LABELS`), so a slow trace can show its own
 * profile. It wraps the context manager you would use anyway and changes nothing else.
 *
 * Needs `@opentelemetry/api` 1.x. The labels join those of `wrapWithLabels`; heap samples carry
 * none. Event emitters passed to `bind` keep the wrapped manager's behaviour: their listeners run
 * with the labels of the code that emits.
 *
 * @example
 *   import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
 *   import { SpanLabelsContextManager } from '@kiln/agent/otel';
 *   const sdk = new NodeSDK({
 *     contextManager: new SpanLabelsContextManager(new AsyncLocalStorageContextManager()),
 *   });
 */
export class SpanLabelsContextManager implements ContextManager {
  private readonly inner: ContextManager;

  constructor(inner: ContextManager) {
    this.inner = inner;
  }

  active(): Context {
    return this.inner.active();
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const labelContext = spanLabelContext(context, currentLabelContext());
    if (labelContext === undefined) return this.inner.with(context, fn, thisArg, ...args);
    return this.inner.with(context, () => runInLabelContext(labelContext, fn, thisArg, args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return this.inner.bind(context, target);
    // Not the wrapped manager's bind: its calls go to its own `with`, which sets no labels.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the bound function needs both `this`es
    const manager = this;
    const fn = target as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, fn, this, ...args);
    } as T;
  }

  enable(): this {
    this.inner.enable();
    return this;
  }

  disable(): this {
    this.inner.disable();
    return this;
  }
}

/**
 * The label context for code running in `context`, or undefined when `current` already fits (the
 * same span, or no span in either): most `with` calls then cost a map lookup and a comparison.
 */
function spanLabelContext(context: Context, current: LabelContext): LabelContext | undefined {
  const { spanId, traceId, spanName } = SPAN_LABELS;
  const span = trace.getSpan(context);
  const spanContext = span?.spanContext();
  const labels: Record<string, string> = { ...current.labels };
  if (!spanContext || !isSpanContextValid(spanContext)) {
    if (current.labels[spanId] === undefined) return undefined;
    delete labels[spanId];
    delete labels[traceId];
    delete labels[spanName];
    return buildLabelContext(labels);
  }
  if (current.labels[spanId] === spanContext.spanId && current.labels[traceId] === spanContext.traceId) {
    return undefined;
  }
  if (current.labels[traceId] !== spanContext.traceId) {
    // The first span of this trace here: its local root, whose name labels the whole subtree.
    delete labels[spanName];
    const name = (span as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') labels[spanName] = name;
  }
  labels[spanId] = spanContext.spanId;
  labels[traceId] = spanContext.traceId;
  return buildLabelContext(labels satisfies SampleLabels);
}
