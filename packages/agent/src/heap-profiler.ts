import { AgentError, AgentErrorCode } from './agent-error.js';
import { message, type TakenProfile } from './cpu-profiler.js';
import type { PprofModule, PprofSourceMapper } from './pprof-module.js';

export interface HeapProfilerOptions {
  samplingIntervalBytes: number;
  stackDepth: number;
  sourceMapper: PprofSourceMapper | undefined;
}

/**
 * V8's sampling heap profiler through @datadog/pprof: one allocation sampled per
 * `samplingIntervalBytes` on average, and each collection is a snapshot of the sampled
 * allocations still live (`inuse_objects`, `inuse_space`), not a delta.
 */
export class HeapProfiler {
  private readonly pprof: PprofModule;
  private readonly options: HeapProfilerOptions;
  private lastCollectedMs = 0;
  private running = false;

  constructor(pprof: PprofModule, options: HeapProfilerOptions) {
    this.pprof = pprof;
    this.options = options;
  }

  /** Throws ERR_AGENT_PROFILER_START, e.g. when another profiler started it with other settings. */
  start(): void {
    try {
      this.pprof.heap.start(this.options.samplingIntervalBytes, this.options.stackDepth);
    } catch (err) {
      throw new AgentError(AgentErrorCode.profilerStart, `the heap profiler did not start: ${message(err)}`);
    }
    this.running = true;
    this.lastCollectedMs = Date.now();
  }

  /** The live sampled heap now; `stop: true` also stops the profiler. Null when not running. */
  collect(stop: boolean): TakenProfile | null {
    if (!this.running) return null;
    const startMs = this.lastCollectedMs;
    try {
      const profile = this.pprof.heap.profile(undefined, this.options.sourceMapper);
      const endMs = Date.now();
      this.lastCollectedMs = endMs;
      return { profile, startMs, endMs };
    } finally {
      if (stop) {
        this.running = false;
        this.pprof.heap.stop();
      }
    }
  }
}
