import { AgentError, AgentErrorCode } from './agent-error.js';
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from './agent-options.js';
import { CpuProfiler, message, type TakenProfile } from './cpu-profiler.js';
import type { CollectedProfile, ProfileExporter, ProfileKind } from './exporter.js';
import { HeapProfiler } from './heap-profiler.js';
import { HttpExporter } from './http-exporter.js';
import { guardLogger, type AgentLogger } from './logger.js';
import { normalizeProfile } from './normalize-profile.js';
import { loadPprof, type PprofModule, type PprofSourceMapper } from './pprof-module.js';
import { buildSeriesLabels } from './series-labels.js';
import { UploadQueue, type UploadStats } from './upload-queue.js';

export interface AgentStats extends UploadStats {
  /** Profiles taken and encoded. Each ends up uploaded, rejected, dropped or still buffered. */
  collected: number;
}

/** A running profiler. Every method resolves; none rejects or throws. */
export interface Agent {
  /**
   * Takes a profile of each kind now and sends everything buffered. Resolves when done, when
   * the server turns out to be unreachable, or after `stopTimeoutMs`.
   */
  flush(): Promise<void>;
  /**
   * Stops profiling, takes a final profile of each kind and sends what is buffered, within
   * `stopTimeoutMs`; what could not be sent by then is dropped. Calling it again returns the
   * same promise.
   */
  stop(): Promise<void>;
  stats(): AgentStats;
}

/**
 * Starts CPU (wall-clock with CPU time) and heap profiling of this process and uploads a
 * profile of each kind every `uploadIntervalMs`, by default to a Pyroscope-compatible server
 * the same way the official Pyroscope Node SDK 0.6.x does.
 *
 * Safe to run in production: timers and sockets are unref()'d so the agent never keeps the
 * process alive, memory is bounded while the server is down (`maxBufferedProfiles`), and
 * failures go to `logger`, never into the host. Only invalid options throw
 * (ERR_AGENT_INVALID_OPTIONS), synchronously, before anything starts.
 *
 * @example
 *   import { startProfiling } from '@kiln/agent';
 *   const agent = startProfiling({ appName: 'checkout', serverAddress: 'http://kiln:4040', tags: { env: 'prod' } });
 *   process.on('SIGTERM', () => void agent.stop().then(() => process.exit(0)));
 */
export function startProfiling(options: AgentOptions): Agent {
  const resolved = resolveAgentOptions(options);
  const ownedExporter = resolved.exporter
    ? undefined
    : new HttpExporter({
        serverAddress: resolved.serverAddress,
        appName: resolved.appName,
        authToken: resolved.authToken,
        basicAuthUser: resolved.basicAuthUser,
        basicAuthPassword: resolved.basicAuthPassword,
        tenantId: resolved.tenantId,
        requestTimeoutMs: resolved.requestTimeoutMs,
      });
  return new RunningAgent(resolved, resolved.exporter ?? ownedExporter!, ownedExporter);
}

class RunningAgent implements Agent {
  private readonly options: ResolvedAgentOptions;
  private readonly log: AgentLogger;
  private readonly queue: UploadQueue;
  private readonly ownedExporter: HttpExporter | undefined;
  private readonly labels: Readonly<Record<string, string>>;
  private readonly pprof: PprofModule | undefined;
  private readonly ready: Promise<void>;
  private cpu: CpuProfiler | undefined;
  private heap: HeapProfiler | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Collections run one after another; this is the tail of that chain. */
  private collecting: Promise<void> = Promise.resolve();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private collected = 0;

  constructor(options: ResolvedAgentOptions, exporter: ProfileExporter, ownedExporter: HttpExporter | undefined) {
    this.options = options;
    this.log = guardLogger(options.logger);
    this.ownedExporter = ownedExporter;
    this.labels = buildSeriesLabels(options.tags);
    this.queue = new UploadQueue(exporter, {
      maxBufferedProfiles: options.maxBufferedProfiles,
      retryInitialDelayMs: options.retryInitialDelayMs,
      retryMaxDelayMs: options.retryMaxDelayMs,
      // A little over the HTTP exporter's own deadline, so its clearer error wins.
      exportTimeoutMs: options.requestTimeoutMs + 1_000,
      log: this.log,
    });
    try {
      this.pprof = loadPprof();
    } catch (err) {
      this.pprof = undefined;
      this.log(
        'error',
        'profiling is off: @datadog/pprof did not load',
        new AgentError(AgentErrorCode.pprofUnavailable, `@datadog/pprof did not load: ${message(err)}`),
      );
    }
    this.ready = this.pprof
      ? this.start(this.pprof).catch((err: unknown) => this.log('error', 'start failed', err))
      : Promise.resolve();
  }

  stats(): AgentStats {
    return { collected: this.collected, ...this.queue.stats() };
  }

  flush(): Promise<void> {
    if (this.stopping) return this.stopped ?? Promise.resolve();
    return this.withinStopTimeout(async () => {
      await this.ready;
      await this.collect(false);
      await this.queue.drain();
    });
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.withinStopTimeout(async () => {
      await this.ready;
      await this.collect(true);
      await this.queue.drain();
    });
    this.queue.close();
    this.ownedExporter?.close();
  }

  private async start(pprof: PprofModule): Promise<void> {
    let sourceMapper: PprofSourceMapper | undefined;
    if (this.options.sourceMaps) {
      try {
        sourceMapper = await pprof.SourceMapper.create(this.options.sourceMaps.searchDirs);
      } catch (err) {
        this.log('warn', 'source maps did not load; frames keep their generated names', err);
      }
    }
    if (this.stopping) return;
    if (this.options.cpu) {
      const cpu = new CpuProfiler(pprof, {
        ...this.options.cpu,
        durationMs: this.options.uploadIntervalMs,
        sourceMapper,
      });
      try {
        cpu.start();
        this.cpu = cpu;
        if (this.options.cpu.collectCpuTime && !cpu.collectsCpuTime) {
          this.log('info', 'CPU time is not available here; cpu profiles carry wall time only');
        }
      } catch (err) {
        this.log('error', 'CPU profiling is off', err);
      }
    }
    if (this.options.heap) {
      const heap = new HeapProfiler(pprof, { ...this.options.heap, sourceMapper });
      try {
        heap.start();
        this.heap = heap;
      } catch (err) {
        this.log('error', 'heap profiling is off', err);
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping || (!this.cpu && !this.heap)) return;
    this.timer = setTimeout(() => {
      void this.collect(false).then(() => this.schedule());
    }, this.options.uploadIntervalMs);
    this.timer.unref();
  }

  /** Takes, encodes and enqueues one profile of each running kind; `final` stops the profilers. */
  private collect(final: boolean): Promise<void> {
    const run = this.collecting.then(() => this.collectNow(final));
    this.collecting = run.catch(() => {});
    return this.collecting;
  }

  private async collectNow(final: boolean): Promise<void> {
    const pprof = this.pprof;
    if (!pprof) return;
    const taken: Array<{ kind: ProfileKind; taken: TakenProfile | null }> = [];
    if (this.cpu) taken.push({ kind: 'cpu', taken: this.take('cpu', () => this.cpu!.collect(!final)) });
    if (this.heap) taken.push({ kind: 'heap', taken: this.take('heap', () => this.heap!.collect(final)) });
    for (const { kind, taken: profile } of taken) {
      if (!profile) continue;
      try {
        normalizeProfile(profile.profile, {
          qualifyFunctionNames: this.options.qualifyFunctionNames,
          cwd: process.cwd(),
        });
        // @datadog/pprof stamps a time profile with the moment it was serialized, the end of its
        // window; pprof's time_nanos is the start, which servers use as the profile's time.
        if (kind === 'cpu') profile.profile.timeNanos = profile.startMs * 1_000_000;
        const pprofGzip = await pprof.encode(profile.profile);
        const collected: CollectedProfile = {
          kind,
          pprofGzip,
          startMs: profile.startMs,
          endMs: profile.endMs,
          labels: this.labels,
          ...(kind === 'cpu' && { sampleRateHz: Math.round(1e6 / this.options.cpu!.samplingIntervalMicros) }),
        };
        this.collected++;
        this.queue.push(collected);
      } catch (err) {
        this.log('warn', `encoding a ${kind} profile failed; skipped`, collectError(kind, err));
      }
    }
  }

  private take(kind: ProfileKind, collect: () => TakenProfile | null): TakenProfile | null {
    try {
      return collect();
    } catch (err) {
      this.log('warn', `taking a ${kind} profile failed; skipped`, collectError(kind, err));
      return null;
    }
  }

  /**
   * Runs `work` for at most `stopTimeoutMs`. The timer is deliberately ref'd: while the host
   * awaits stop() or flush() (even as its last act, in a top-level await), the process must
   * stay up until the uploads finish, whereas every other agent timer and socket is unref'd.
   */
  private async withinStopTimeout(work: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log('warn', `gave up waiting for uploads after stopTimeoutMs=${this.options.stopTimeoutMs}`);
        resolve();
      }, this.options.stopTimeoutMs);
    });
    try {
      await Promise.race([work().catch((err: unknown) => this.log('error', 'flush failed', err)), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function collectError(kind: ProfileKind, err: unknown): AgentError {
  return new AgentError(AgentErrorCode.collect, `${kind} profile: ${message(err)}`, { details: { kind } });
}
