import { AgentError, AgentErrorCode } from './agent-error.js';
import type { PprofModule, PprofProfile, PprofSourceMapper } from './pprof-module.js';

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
  /** Whether profiles carry `cpu/nanoseconds` (false where @datadog/pprof cannot collect it). */
  collectsCpuTime = false;

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
    let firstError: unknown;
    if (this.options.collectCpuTime) {
      // CPU time is kept per sampling context, so @datadog/pprof needs contexts for it.
      try {
        time.start({ ...base, withContexts: true, collectCpuTime: true });
        this.collectsCpuTime = true;
      } catch (err) {
        firstError = err;
      }
    }
    if (!this.collectsCpuTime) {
      try {
        time.start({ ...base, withContexts: false, collectCpuTime: false });
      } catch (err) {
        throw new AgentError(AgentErrorCode.profilerStart, `the wall-clock profiler did not start: ${message(err)}`, {
          details: { firstError: firstError === undefined ? '' : message(firstError) },
        });
      }
    }
    this.running = true;
    this.startedAtMs = Date.now();
  }

  /** The profile since the last call; `restart: false` also stops sampling. Null when not running. */
  collect(restart: boolean): TakenProfile | null {
    if (!this.running) return null;
    const startMs = this.startedAtMs;
    this.running = restart;
    const profile = this.pprof.time.stop(restart);
    const endMs = Date.now();
    this.startedAtMs = endMs;
    return { profile, startMs, endMs };
  }
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
