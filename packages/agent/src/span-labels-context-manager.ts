import { isSpanContextValid, trace, type Context, type ContextManager, type Span } from '@opentelemetry/api';
import {
  buildLabelContext,
  currentLabelContext,
  runInLabelContext,
  type LabelContext,
  type SampleLabels,
} from './sample-labels.js';

/**
 * The sample labels that link CPU samples to OpenTelemetry spans, as Grafana's otel-profiling
 * integrations name them:
 *
 * - `span_id`: 16 hex digits. By default the id of the trace's local root span (its first span
 *   in this process, e.g. the server span of an HTTP request), which is what Grafana Pyroscope's
 *   span profiles and Tempo's "profiles for this span" select; with `spanId: 'active'`, the
 *   innermost active span's.
 * - `trace_id`: the trace, 32 hex digits: selects every sample of one request.
 * - `span_name`: the local root span's name, so a flame graph can be filtered by endpoint.
 *
 * Servers keep `span_id` and `trace_id` out of series labels (one series per request would
 * follow); `span_name` does become one.
 */
export const SPAN_LABELS = { spanId: 'span_id', traceId: 'trace_id', spanName: 'span_name' } as const;

/** The span attribute Grafana's trace view reads to link a span to its profile. */
export const PROFILE_ID_ATTRIBUTE = 'pyroscope.profile.id';

export interface SpanLabelsOptions {
  /**
   * Whose id `span_id` holds: `'local-root'` (default), the trace's first span in this process,
   * as Grafana's integrations label it; or `'active'`, the innermost span, for finer attribution
   * at the cost of Grafana's span profiles seeing only the root span's own samples.
   */
  spanId?: 'local-root' | 'active';
}

/**
 * An OpenTelemetry context manager that makes the CPU samples taken while a span is active (in
 * `context.with`, `startActiveSpan`, bound callbacks, and the async work they start) carry its
 * trace's ids as pprof sample labels (see `SPAN_LABELS` and `SpanLabelsOptions`), so a slow
 * trace can show its own profile. It wraps the context manager you would use anyway and changes
 * nothing else.
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
  private readonly activeSpanId: boolean;

  constructor(inner: ContextManager, options: SpanLabelsOptions = {}) {
    this.inner = inner;
    this.activeSpanId = options.spanId === 'active';
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
    const labelContext = spanLabelContext(context, currentLabelContext(), this.activeSpanId);
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
 * same trace, or the same span with `activeSpanId`; or no span in either): most `with` calls then
 * cost a map lookup and a comparison.
 */
function spanLabelContext(context: Context, current: LabelContext, activeSpanId: boolean): LabelContext | undefined {
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
  const sameTrace = current.labels[traceId] === spanContext.traceId;
  if (sameTrace && (!activeSpanId || current.labels[spanId] === spanContext.spanId)) return undefined;
  if (!sameTrace) {
    // The first span of this trace here: its local root, whose name labels the whole subtree.
    delete labels[spanName];
    const name = (span as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') labels[spanName] = name;
  }
  labels[spanId] = spanContext.spanId;
  labels[traceId] = spanContext.traceId;
  return buildLabelContext(labels satisfies SampleLabels);
}

/**
 * An OpenTelemetry span processor that marks each local root span (no parent, or a parent from
 * another process) with `pyroscope.profile.id` = its span id: the attribute with which Grafana's
 * trace view offers the span's profile. Pair it with `SpanLabelsContextManager`, whose default
 * `span_id` is that same id. It only sets the attribute; add it beside your exporting processor.
 *
 * @example
 *   const sdk = new NodeSDK({
 *     contextManager: new SpanLabelsContextManager(new AsyncLocalStorageContextManager()),
 *     spanProcessors: [new ProfileIdSpanProcessor(), new BatchSpanProcessor(new OTLPTraceExporter())],
 *   });
 */
export class ProfileIdSpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const parent = trace.getSpanContext(parentContext);
    if (parent && isSpanContextValid(parent) && !parent.isRemote) return;
    span.setAttribute(PROFILE_ID_ATTRIBUTE, span.spanContext().spanId);
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
