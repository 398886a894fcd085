import { AgentError, AgentErrorCode } from './agent-error.js';
import type { PprofModule, PprofProfile, PprofSourceMapper } from './pprof-module.js';
import { attachLabelSink, labelsOfSample } from './sample-labels.js';

export interface CpuProfilerOptions {
  samplingIntervalMicros: number;
  collectCpuTime: boolean;
  /** Expected profile length; @datadog/pprof sizes its sample buffers from it. */
  durationMs: number;
  sourceMapper: PprofSourceMapper | undefined;
}

export interface TakenProfile {
  readonly profile: PprofProfile;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * The wall-clock profiler of @datadog/pprof, as the official Pyroscope Node SDK runs it:
 * `time.start` once, then `time.stop(true)` each interval, which hands back the profile and
 * restarts sampling in the same call so consecutive profiles cover time without gaps.
 */
export class CpuProfiler {
  private readonly pprof: PprofModule;
  private readonly options: CpuProfilerOptions;
  private startedAtMs = 0;
  private running = false;
  private detachLabels: (() => void) | undefined;
  /** Whether profiles carry `cpu/nanoseconds` (false where @datadog/pprof cannot collect it). */
  collectsCpuTime = false;
  /** Whether samples carry the labels of `wrapWithLabels` and span ids (they need contexts). */
  collectsLabels = false;

  constructor(pprof: PprofModule, options: CpuProfilerOptions) {
    this.pprof = pprof;
    this.options = options;
  }

  /** Throws ERR_AGENT_PROFILER_START, e.g. when another profiler owns the time profiler. */
  start(): void {
    const { time } = this.pprof;
    if (time.isStarted()) {
      throw new AgentError(
        AgentErrorCode.profilerStart,
        'the wall-clock profiler is already running in this process (another profiler started it)',
      );
    }
    const base = {
      intervalMicros: this.options.samplingIntervalMicros,
      durationMillis: this.options.durationMs,
      sourceMapper: this.options.sourceMapper,
      workaroundV8Bug: true,
    };
    // Contexts carry both the sample labels and CPU time (kept per context); try the richest
    // mode first and give up one feature at a time where @datadog/pprof cannot do it.
    const attempts = [
      ...(this.options.collectCpuTime ? [{ withContexts: true, collectCpuTime: true }] : []),
      { withContexts: true, collectCpuTime: false },
      { withContexts: false, collectCpuTime: false },
    ];
    const errors: string[] = [];
    for (const attempt of attempts) {
      try {
        time.start({ ...base, ...attempt });
        this.collectsCpuTime = attempt.collectCpuTime;
        this.collectsLabels = attempt.withContexts;
        break;
      } catch (err) {
        errors.push(message(err));
      }
    }
    if (errors.length === attempts.length) {
      throw new AgentError(
        AgentErrorCode.profilerStart,
        `the wall-clock profiler did not start: ${errors.at(-1) ?? ''}`,
        { details: { firstError: errors[0] ?? '' } },
      );
    }
    if (this.collectsLabels) this.detachLabels = attachLabelSink(time);
    this.running = true;
    this.startedAtMs = Date.now();
  }

  /** The profile since the last call; `restart: false` also stops sampling. Null when not running. */
  collect(restart: boolean): TakenProfile | null {
    if (!this.running) return null;
    const startMs = this.startedAtMs;
    this.running = restart;
    if (!restart) this.detachLabels?.();
    const profile = this.pprof.time.stop(restart, this.collectsLabels ? labelsOfSample : undefined);
    // A restart may replace the native profiler (@datadog/pprof's V8 bug workaround), and with it
    // the context it holds: hand it the current one again.
    if (restart && this.collectsLabels) this.detachLabels = attachLabelSink(this.pprof.time);
    const endMs = Date.now();
    this.startedAtMs = endMs;
    return { profile, startMs, endMs };
  }
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
