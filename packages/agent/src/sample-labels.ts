import { AsyncLocalStorage, createHook, type AsyncHook } from 'node:async_hooks';
import { AgentError, AgentErrorCode } from './agent-error.js';

/** Labels a sample carries besides the series labels, e.g. `{ route: '/cart', span_id: '…' }`. */
export type SampleLabels = Readonly<Record<string, string>>;

/**
 * What the wall-clock profiler attaches to each sample taken while it is current. One object per
 * distinct label set entered: @datadog/pprof keeps a reference to it and hands it back, per
 * sample, to `labelsOfSample` when the profile is serialized.
 */
export interface LabelContext {
  readonly labels: SampleLabels;
}

/** The part of @datadog/pprof's `time` module the label context drives. */
export interface ContextSink {
  setContext(context: object): void;
}

const EMPTY: LabelContext = Object.freeze({ labels: Object.freeze({}) });
const LABEL_NAME = /^[A-Za-z0-9_.]+$/;

/**
 * The labels of each async context, and the one bridge from them to the profiler.
 *
 * Module state on purpose, as the wall-clock profiler it feeds is one per process (a second
 * `time.start` throws), and `wrapWithLabels` must work from code that has no handle on the agent
 * (programs started with `--import @kiln/agent/register`) and before the agent starts.
 *
 * On Node 20 @datadog/pprof samples whichever context was last handed to `time.setContext`; it
 * cannot read an AsyncLocalStorage from its signal handler. So while a profiler is attached and
 * labels have been used at least once, an async hook hands it the store of every callback as the
 * callback starts, calling into the profiler only when that store differs from the last one, so
 * a request's chain of awaits costs one native call, not one per hop. There is deliberately no
 * `after` hook resetting it, which would double the hook calls and make every hop a native call:
 * between callbacks, samples outside JavaScript (idle, which carries no wall time, and garbage
 * collection) keep the labels of the callback that ran last.
 * Programs that never set labels never pay for the hook.
 */
const storage = new AsyncLocalStorage<LabelContext>();
let sink: ContextSink | undefined;
let labelsUsed = false;
let hook: AsyncHook | undefined;
/** What the sink holds now; compared by identity to skip redundant native calls. */
let published: LabelContext = EMPTY;

function publish(context: LabelContext): void {
  if (context === published || !sink) return;
  published = context;
  try {
    sink.setContext(context);
  } catch {
    // An error thrown in an async hook ends the process; a sample without labels is the lesser harm.
  }
}

function onLabelsUsed(): void {
  if (labelsUsed) return;
  labelsUsed = true;
  if (sink) enableHook();
}

function enableHook(): void {
  hook ??= createHook({
    before() {
      publish(storage.getStore() ?? EMPTY);
    },
  });
  hook.enable();
}

/**
 * Called by the CPU profiler once it samples with contexts: from now on samples carry the labels
 * of the code they were taken in. Returns the function that detaches it again (call it before
 * the profiler stops for good).
 */
export function attachLabelSink(target: ContextSink): () => void {
  sink = target;
  // Set unconditionally: a restarted native profiler may have dropped what it held.
  published = storage.getStore() ?? EMPTY;
  try {
    target.setContext(published);
  } catch {
    // As in publish(): never throw into the host for the sake of labels.
  }
  if (labelsUsed) enableHook();
  return () => {
    if (sink !== target) return;
    hook?.disable();
    sink = undefined;
    published = EMPTY;
  };
}

/** `generateLabels` for @datadog/pprof's `time.stop`: the labels of the context a sample was taken in. */
export function labelsOfSample({ context }: { context?: { context?: object } }): SampleLabels {
  const held = context?.context as Partial<LabelContext> | undefined;
  return held?.labels ?? EMPTY.labels;
}

/** The label context code runs in now (the empty one outside any). */
export function currentLabelContext(): LabelContext {
  return storage.getStore() ?? EMPTY;
}

/** A label context for `labels`, or the empty one when there are none. */
export function buildLabelContext(labels: SampleLabels): LabelContext {
  return Object.keys(labels).length === 0 ? EMPTY : Object.freeze({ labels: Object.freeze({ ...labels }) });
}

/**
 * Runs `fn` in `context`: its synchronous part now, its async continuations whenever they run.
 * The profiler sees the new context before `fn` starts and the caller's again after it returns.
 */
export function runInLabelContext<A extends unknown[], R>(
  context: LabelContext,
  fn: (...args: A) => R,
  thisArg: unknown,
  args: A,
): R {
  onLabelsUsed();
  const outer = storage.getStore() ?? EMPTY;
  publish(context);
  try {
    return storage.run(context, () => fn.apply(thisArg, args));
  } finally {
    publish(outer);
  }
}

/**
 * Runs `fn(...args)` with `labels` added to the current ones (same name: the new value wins), so
 * CPU samples taken while it runs, including in the async work it starts (promises, timers,
 * I/O callbacks), carry them as pprof sample labels. Returns what `fn` returns. A server makes
 * string sample labels series labels, so keep values few (a route, not a user id).
 *
 * Like `wrapWithLabels` of the official @pyroscope/nodejs SDK, which only labels the synchronous
 * part. Heap samples carry no labels. Works before the agent starts (the labels then apply once
 * it does); throws ERR_AGENT_INVALID_OPTIONS, before running `fn`, for a label name outside
 * `[A-Za-z0-9_.]` or a value that is not a string or number.
 *
 * @example
 *   app.get('/cart', (req, res) =>
 *     wrapWithLabels({ route: '/cart' }, async () => res.json(await loadCart(req))),
 *   );
 */
export function wrapWithLabels<A extends unknown[], R>(
  labels: Readonly<Record<string, string | number>>,
  fn: (...args: A) => R,
  ...args: A
): R {
  const merged = { ...currentLabelContext().labels, ...checkLabels(labels) };
  return runInLabelContext(buildLabelContext(merged), fn, undefined, args);
}

/**
 * Replaces the labels of the current async context: the rest of the calling function and the
 * async work it starts afterwards carry `labels` (and only them). `setLabels({})` clears them.
 * Prefer `wrapWithLabels`, whose labels end with `fn`; this is for code shaped as a middleware
 * chain with no function to wrap.
 *
 * @example
 *   fastify.addHook('onRequest', async (req) => setLabels({ route: req.routeOptions.url ?? 'other' }));
 */
export function setLabels(labels: Readonly<Record<string, string | number>>): void {
  onLabelsUsed();
  const context = buildLabelContext(checkLabels(labels));
  storage.enterWith(context);
  publish(context);
}

/**
 * The labels of the current async context.
 *
 * @example
 *   wrapWithLabels({ route: '/cart' }, () => getLabels()); // { route: '/cart' }
 */
export function getLabels(): SampleLabels {
  return currentLabelContext().labels;
}

function checkLabels(labels: Readonly<Record<string, string | number>>): Record<string, string> {
  if (typeof labels !== 'object' || labels === null) {
    throw new AgentError(AgentErrorCode.invalidOptions, 'labels must be an object of names to strings or numbers');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name)) {
      throw new AgentError(AgentErrorCode.invalidOptions, `label name "${name}" must match [A-Za-z0-9_.]+`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new AgentError(
        AgentErrorCode.invalidOptions,
        `label "${name}" must be a string or number, got ${typeof value}`,
      );
    }
    out[name] = String(value);
  }
  return out;
}
