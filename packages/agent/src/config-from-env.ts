import type { AgentOptions, CpuProfilingOptions, HeapProfilingOptions } from './agent-options.js';
import type { AgentLogLevel } from './logger.js';

export interface EnvConfig {
  /** False when KILN_AGENT_ENABLED is false/0/no/off. */
  enabled: boolean;
  /** Only what the environment sets; `appName` is absent when no variable names the app. */
  options: Partial<AgentOptions>;
  /** KILN_LOG_LEVEL for the preload entry's stderr logger. Default `warn`. */
  logLevel: AgentLogLevel | 'silent';
  /** Variables that were set but unusable (and ignored), one sentence each. */
  problems: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the agent's configuration from environment variables: the official Pyroscope SDKs'
 * names, so an app configured for @pyroscope/nodejs works unchanged, and `KILN_*` names, which
 * win when both are set. Pure: reads only `env`, throws nothing; bad values are skipped and
 * listed in `problems`.
 *
 * | option | KILN_ | Pyroscope (in precedence order) |
 * | --- | --- | --- |
 * | appName (may carry `{k=v,...}` tags, as in Pyroscope) | KILN_APPLICATION_NAME | PYROSCOPE_APPLICATION_NAME |
 * | serverAddress | KILN_SERVER_ADDRESS | PYROSCOPE_ADHOC_SERVER_ADDRESS, PYROSCOPE_SERVER_ADDRESS |
 * | authToken | KILN_AUTH_TOKEN | PYROSCOPE_AUTH_TOKEN |
 * | basicAuthUser / basicAuthPassword | KILN_BASIC_AUTH_USER / _PASSWORD | PYROSCOPE_BASIC_AUTH_USER / _PASSWORD |
 * | tenantId | KILN_TENANT_ID | PYROSCOPE_TENANT_ID |
 * | tags `k=v,k2=v2` (merged per key: app-name braces, then PYROSCOPE_TAGS, then KILN_TAGS) | KILN_TAGS | PYROSCOPE_TAGS |
 * | uploadIntervalMs | KILN_UPLOAD_INTERVAL_MS | PYROSCOPE_FLUSH_INTERVAL_MS, PYROSCOPE_UPLOAD_INTERVAL (`10s`, `1m`, `500ms`) |
 * | cpu on/off | KILN_CPU_ENABLED | |
 * | cpu.samplingIntervalMicros | KILN_CPU_SAMPLING_INTERVAL_MICROS | PYROSCOPE_WALL_SAMPLING_INTERVAL_MICROS |
 * | cpu.collectCpuTime | KILN_CPU_COLLECT_CPU_TIME | PYROSCOPE_WALL_COLLECT_CPU_TIME |
 * | heap on/off | KILN_HEAP_ENABLED | |
 * | heap.samplingIntervalBytes | KILN_HEAP_SAMPLING_INTERVAL_BYTES | PYROSCOPE_HEAP_SAMPLING_INTERVAL_BYTES |
 * | heap.stackDepth | KILN_HEAP_STACK_DEPTH | PYROSCOPE_HEAP_STACK_DEPTH |
 * | sourceMaps (`true`, or directories separated by `,`) | KILN_SOURCE_MAPS | |
 * | maxBufferedProfiles, requestTimeoutMs, stopTimeoutMs | KILN_MAX_BUFFERED_PROFILES, KILN_REQUEST_TIMEOUT_MS, KILN_STOP_TIMEOUT_MS | |
 *
 * PYROSCOPE_WALL_SAMPLING_DURATION_MS is accepted and ignored: in the official SDK it only
 * sizes the native sample buffer, which Kiln sizes from the upload interval.
 * PYROSCOPE_STRIP_FILENAMES and PYROSCOPE_SHORTEN_PATHS are not supported (listed in problems).
 *
 * @example
 *   const { enabled, options, problems } = configFromEnv(process.env);
 *   if (enabled && options.appName) startProfiling({ ...options, appName: options.appName });
 */
export function configFromEnv(env: Env): EnvConfig {
  const problems: string[] = [];
  const options: Partial<AgentOptions> = {};
  const reader = new EnvReader(env, problems);

  const appVar = reader.string('KILN_APPLICATION_NAME', 'PYROSCOPE_APPLICATION_NAME');
  let tags: Record<string, string> = {};
  if (appVar) {
    const brace = appVar.value.indexOf('{');
    if (brace >= 0 && appVar.value.trimEnd().endsWith('}')) {
      options.appName = appVar.value.slice(0, brace).trim();
      tags = parseTags(appVar.value.slice(brace + 1, appVar.value.trimEnd().length - 1), appVar.name, problems);
    } else {
      options.appName = appVar.value.trim();
    }
  }
  for (const name of ['PYROSCOPE_TAGS', 'KILN_TAGS']) {
    const value = reader.raw(name);
    if (value !== undefined) tags = { ...tags, ...parseTags(value, name, problems) };
  }
  if (Object.keys(tags).length > 0) options.tags = tags;

  const serverAddress = reader.string(
    'KILN_SERVER_ADDRESS',
    'PYROSCOPE_ADHOC_SERVER_ADDRESS',
    'PYROSCOPE_SERVER_ADDRESS',
  );
  if (serverAddress) options.serverAddress = serverAddress.value;
  const authToken = reader.string('KILN_AUTH_TOKEN', 'PYROSCOPE_AUTH_TOKEN');
  if (authToken) options.authToken = authToken.value;
  const basicAuthUser = reader.string('KILN_BASIC_AUTH_USER', 'PYROSCOPE_BASIC_AUTH_USER');
  if (basicAuthUser) options.basicAuthUser = basicAuthUser.value;
  const basicAuthPassword = reader.string('KILN_BASIC_AUTH_PASSWORD', 'PYROSCOPE_BASIC_AUTH_PASSWORD');
  if (basicAuthPassword) options.basicAuthPassword = basicAuthPassword.value;
  const tenantId = reader.string('KILN_TENANT_ID', 'PYROSCOPE_TENANT_ID');
  if (tenantId) options.tenantId = tenantId.value;

  const uploadIntervalMs =
    reader.integer('KILN_UPLOAD_INTERVAL_MS', 'PYROSCOPE_FLUSH_INTERVAL_MS') ??
    reader.duration('PYROSCOPE_UPLOAD_INTERVAL');
  if (uploadIntervalMs !== undefined) options.uploadIntervalMs = uploadIntervalMs;

  const cpu: CpuProfilingOptions = {};
  const cpuInterval = reader.integer('KILN_CPU_SAMPLING_INTERVAL_MICROS', 'PYROSCOPE_WALL_SAMPLING_INTERVAL_MICROS');
  if (cpuInterval !== undefined) cpu.samplingIntervalMicros = cpuInterval;
  const collectCpuTime = reader.boolean('KILN_CPU_COLLECT_CPU_TIME', 'PYROSCOPE_WALL_COLLECT_CPU_TIME');
  if (collectCpuTime !== undefined) cpu.collectCpuTime = collectCpuTime;
  const cpuEnabled = reader.boolean('KILN_CPU_ENABLED');
  if (cpuEnabled === false) options.cpu = false;
  else if (Object.keys(cpu).length > 0) options.cpu = cpu;
  else if (cpuEnabled === true) options.cpu = true;

  const heap: HeapProfilingOptions = {};
  const heapInterval = reader.integer('KILN_HEAP_SAMPLING_INTERVAL_BYTES', 'PYROSCOPE_HEAP_SAMPLING_INTERVAL_BYTES');
  if (heapInterval !== undefined) heap.samplingIntervalBytes = heapInterval;
  const stackDepth = reader.integer('KILN_HEAP_STACK_DEPTH', 'PYROSCOPE_HEAP_STACK_DEPTH');
  if (stackDepth !== undefined) heap.stackDepth = stackDepth;
  const heapEnabled = reader.boolean('KILN_HEAP_ENABLED');
  if (heapEnabled === false) options.heap = false;
  else if (Object.keys(heap).length > 0) options.heap = heap;
  else if (heapEnabled === true) options.heap = true;

  const sourceMaps = reader.raw('KILN_SOURCE_MAPS');
  if (sourceMaps !== undefined) {
    const flag = parseBoolean(sourceMaps);
    if (flag !== undefined) options.sourceMaps = flag;
    else {
      const searchDirs = sourceMaps
        .split(',')
        .map((dir) => dir.trim())
        .filter((dir) => dir !== '');
      options.sourceMaps = { searchDirs };
    }
  }

  const maxBufferedProfiles = reader.integer('KILN_MAX_BUFFERED_PROFILES');
  if (maxBufferedProfiles !== undefined) options.maxBufferedProfiles = maxBufferedProfiles;
  const requestTimeoutMs = reader.integer('KILN_REQUEST_TIMEOUT_MS');
  if (requestTimeoutMs !== undefined) options.requestTimeoutMs = requestTimeoutMs;
  const stopTimeoutMs = reader.integer('KILN_STOP_TIMEOUT_MS');
  if (stopTimeoutMs !== undefined) options.stopTimeoutMs = stopTimeoutMs;

  for (const name of ['PYROSCOPE_STRIP_FILENAMES', 'PYROSCOPE_SHORTEN_PATHS']) {
    if (reader.raw(name) !== undefined) problems.push(`${name} is not supported by the Kiln agent; ignored`);
  }

  let logLevel: EnvConfig['logLevel'] = 'warn';
  const level = reader.raw('KILN_LOG_LEVEL');
  if (level !== undefined) {
    const normalized = level.trim().toLowerCase();
    if (LOG_LEVELS.includes(normalized as EnvConfig['logLevel'])) logLevel = normalized as EnvConfig['logLevel'];
    else problems.push(`KILN_LOG_LEVEL="${level}" is not one of ${LOG_LEVELS.join(', ')}; using warn`);
  }

  return { enabled: reader.boolean('KILN_AGENT_ENABLED') ?? true, options, logLevel, problems };
}

const LOG_LEVELS: readonly EnvConfig['logLevel'][] = ['silent', 'error', 'warn', 'info', 'debug'];

/** Reads the first set, non-empty variable of a list; unusable values become problems. */
class EnvReader {
  private readonly env: Env;
  private readonly problems: string[];

  constructor(env: Env, problems: string[]) {
    this.env = env;
    this.problems = problems;
  }

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  string(...names: string[]): { name: string; value: string } | undefined {
    for (const name of names) {
      const value = this.raw(name);
      if (value !== undefined) return { name, value: value.trim() };
    }
    return undefined;
  }

  /** The first variable that parses as a positive integer; a bad one does not hide the next. */
  integer(...names: string[]): number | undefined {
    for (const name of names) {
      const value = this.raw(name);
      if (value === undefined) continue;
      const n = Number(value.trim());
      if (Number.isInteger(n) && n > 0) return n;
      this.problems.push(`${name}="${value}" is not a positive integer; ignored`);
    }
    return undefined;
  }

  boolean(...names: string[]): boolean | undefined {
    for (const name of names) {
      const value = this.raw(name);
      if (value === undefined) continue;
      const flag = parseBoolean(value);
      if (flag !== undefined) return flag;
      this.problems.push(`${name}="${value}" is not true/false/1/0; ignored`);
    }
    return undefined;
  }

  /** `10s`, `1m`, `500ms`, `1h`, or a bare number of seconds, in ms. */
  duration(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
    const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
    const ms = match ? Math.round(Number(match[1]) * unitMs[(match[2] ?? 's') as keyof typeof unitMs]) : NaN;
    if (ms > 0) return ms;
    this.problems.push(`${name}="${value}" is not a duration like 10s, 1m or 500ms; ignored`);
    return undefined;
  }
}

function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  return undefined;
}

/** `k=v,k2=v2` (spaces around items, keys and values trimmed); items without `=` are problems. */
function parseTags(text: string, name: string, problems: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    if (key === '') {
      problems.push(`${name}: "${item.trim()}" is not key=value; ignored`);
      continue;
    }
    tags[key] = item.slice(eq + 1).trim();
  }
  return tags;
}
