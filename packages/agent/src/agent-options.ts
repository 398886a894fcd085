import { AgentError, AgentErrorCode } from './agent-error.js';
import type { ProfileExporter } from './exporter.js';
import type { AgentLogger, AgentLoggerObject } from './logger.js';
import { validateSeries } from './series-labels.js';

export interface CpuProfilingOptions {
  /** Average time between samples. Default 10 000 (100 Hz, the official SDK's default). */
  samplingIntervalMicros?: number;
  /**
   * Add `cpu/nanoseconds` to the wall-clock samples. Default true; silently off where
   * @datadog/pprof cannot do it.
   */
  collectCpuTime?: boolean;
}

export interface HeapProfilingOptions {
  /** Average bytes allocated between samples. Default 524 288 (512 KiB, as the official SDK). */
  samplingIntervalBytes?: number;
  /** Deepest stack recorded per sample. Default 64. */
  stackDepth?: number;
}

export interface SourceMapOptions {
  /** Directories scanned (recursively, skipping node_modules) for .js files and their maps. */
  searchDirs: string[];
}

export interface AgentOptions {
  /** The service's name: the app name of Pyroscope's `name` parameter. Required. */
  appName: string;
  /** Base URL of a Pyroscope-compatible server. Default http://localhost:4040. Unused with `exporter`. */
  serverAddress?: string;
  /** Static labels added to every profile's series (`env`, `region`, `version`...). */
  tags?: Record<string, string | number>;
  authToken?: string;
  basicAuthUser?: string;
  basicAuthPassword?: string;
  /** Sent as `X-Scope-OrgID` for multi-tenant servers. */
  tenantId?: string;
  /** How often a profile of each kind is taken and sent. Default 10 000. */
  uploadIntervalMs?: number;
  /** Wall-clock profiling with CPU time. Default on. */
  cpu?: boolean | CpuProfilingOptions;
  /** Sampled heap profiling. Default on. */
  heap?: boolean | HeapProfilingOptions;
  /**
   * Map frames of transpiled code back to their sources (TypeScript frames name .ts files).
   * `true` scans process.cwd(). Profiling starts once the maps are loaded. Default off.
   */
  sourceMaps?: boolean | SourceMapOptions;
  /** Name functions `./file.js:name:line` as the official SDK does. Default true. */
  qualifyFunctionNames?: boolean;
  /** Where profiles go instead of HTTP to `serverAddress`. */
  exporter?: ProfileExporter;
  /** Profiles kept while the server is unreachable; the oldest is dropped beyond it. Default 30. */
  maxBufferedProfiles?: number;
  /** Deadline of one upload. Default 10 000. */
  requestTimeoutMs?: number;
  /** First retry delay after a failed upload, doubling per failure. Default 1 000. */
  retryInitialDelayMs?: number;
  /** Longest retry delay. Default 30 000. */
  retryMaxDelayMs?: number;
  /** Longest `stop()` and `flush()` wait for the last uploads. Default 3 000. */
  stopTimeoutMs?: number;
  /** Receives what went wrong (a callback, or `console`-like object); the agent never throws into the host. */
  logger?: AgentLogger | AgentLoggerObject;
}

export interface ResolvedAgentOptions {
  appName: string;
  serverAddress: string;
  tags: Record<string, string | number>;
  authToken: string | undefined;
  basicAuthUser: string | undefined;
  basicAuthPassword: string | undefined;
  tenantId: string | undefined;
  uploadIntervalMs: number;
  cpu: Required<CpuProfilingOptions> | null;
  heap: Required<HeapProfilingOptions> | null;
  sourceMaps: SourceMapOptions | null;
  qualifyFunctionNames: boolean;
  exporter: ProfileExporter | undefined;
  maxBufferedProfiles: number;
  requestTimeoutMs: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  stopTimeoutMs: number;
  logger: AgentLogger | AgentLoggerObject | undefined;
}

export const AGENT_DEFAULTS = {
  serverAddress: 'http://localhost:4040',
  uploadIntervalMs: 10_000,
  cpuSamplingIntervalMicros: 10_000,
  collectCpuTime: true,
  heapSamplingIntervalBytes: 512 * 1024,
  heapStackDepth: 64,
  maxBufferedProfiles: 30,
  requestTimeoutMs: 10_000,
  retryInitialDelayMs: 1_000,
  retryMaxDelayMs: 30_000,
  stopTimeoutMs: 3_000,
} as const;

/** Fills in defaults; throws ERR_AGENT_INVALID_OPTIONS for values the agent cannot run with. */
export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  if (typeof options !== 'object' || options === null) {
    throw new AgentError(AgentErrorCode.invalidOptions, 'startProfiling expects an options object');
  }
  const tags = options.tags ?? {};
  validateSeries(options.appName, tags);
  const cpu = options.cpu === false ? null : options.cpu === true || options.cpu === undefined ? {} : options.cpu;
  const heap = options.heap === false ? null : options.heap === true || options.heap === undefined ? {} : options.heap;
  const sourceMaps =
    options.sourceMaps === true
      ? { searchDirs: [process.cwd()] }
      : options.sourceMaps
        ? { searchDirs: [...options.sourceMaps.searchDirs] }
        : null;
  const resolved: ResolvedAgentOptions = {
    appName: options.appName.trim(),
    serverAddress: options.serverAddress ?? AGENT_DEFAULTS.serverAddress,
    tags,
    authToken: options.authToken,
    basicAuthUser: options.basicAuthUser,
    basicAuthPassword: options.basicAuthPassword,
    tenantId: options.tenantId,
    uploadIntervalMs: positive('uploadIntervalMs', options.uploadIntervalMs, AGENT_DEFAULTS.uploadIntervalMs),
    cpu: cpu && {
      samplingIntervalMicros: positive(
        'cpu.samplingIntervalMicros',
        cpu.samplingIntervalMicros,
        AGENT_DEFAULTS.cpuSamplingIntervalMicros,
      ),
      collectCpuTime: cpu.collectCpuTime ?? AGENT_DEFAULTS.collectCpuTime,
    },
    heap: heap && {
      samplingIntervalBytes: positive(
        'heap.samplingIntervalBytes',
        heap.samplingIntervalBytes,
        AGENT_DEFAULTS.heapSamplingIntervalBytes,
      ),
      stackDepth: positive('heap.stackDepth', heap.stackDepth, AGENT_DEFAULTS.heapStackDepth),
    },
    sourceMaps,
    qualifyFunctionNames: options.qualifyFunctionNames ?? true,
    exporter: options.exporter,
    maxBufferedProfiles: positive(
      'maxBufferedProfiles',
      options.maxBufferedProfiles,
      AGENT_DEFAULTS.maxBufferedProfiles,
    ),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, AGENT_DEFAULTS.requestTimeoutMs),
    retryInitialDelayMs: positive(
      'retryInitialDelayMs',
      options.retryInitialDelayMs,
      AGENT_DEFAULTS.retryInitialDelayMs,
    ),
    retryMaxDelayMs: positive('retryMaxDelayMs', options.retryMaxDelayMs, AGENT_DEFAULTS.retryMaxDelayMs),
    stopTimeoutMs: positive('stopTimeoutMs', options.stopTimeoutMs, AGENT_DEFAULTS.stopTimeoutMs),
    logger: options.logger,
  };
  if (resolved.exporter !== undefined && typeof resolved.exporter.export !== 'function') {
    throw new AgentError(AgentErrorCode.invalidOptions, 'exporter must have an export(profile) method');
  }
  return resolved;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new AgentError(AgentErrorCode.invalidOptions, `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
