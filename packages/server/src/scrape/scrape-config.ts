import { accessSync, constants } from 'node:fs';
import type { KilnError } from '@kiln/model';
import { scrapeError } from './errors.js';

/**
 * The profiles a job can scrape, named by their `__name__` as Grafana Alloy's `pyroscope.scrape`
 * names them (docs: ../shared/reference/pyroscope-wire-apis.md §4.2), with the pod annotation
 * prefix Grafana's Helm charts use for each (`profiles.grafana.com/cpu.scrape`).
 */
export const PROFILE_NAMES = ['process_cpu', 'memory', 'goroutine', 'mutex', 'block'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface ProfileSettings {
  enabled: boolean;
  /** HTTP path on the target, e.g. `/debug/pprof/profile`. */
  path: string;
  /**
   * CPU: ask the target for `?seconds=<interval − 1>` so consecutive scrapes cover the time.
   * Cumulative profiles (allocations, mutex, block): subtract the previous scrape, so each
   * stored profile is what happened in one interval (the first scrape only sets the baseline).
   */
  delta: boolean;
}

export const PROFILE_DEFAULTS: { readonly [P in ProfileName]: Readonly<ProfileSettings & { annotation: string }> } = {
  process_cpu: { enabled: true, path: '/debug/pprof/profile', delta: true, annotation: 'cpu' },
  memory: { enabled: true, path: '/debug/pprof/allocs', delta: true, annotation: 'memory' },
  goroutine: { enabled: true, path: '/debug/pprof/goroutine', delta: false, annotation: 'goroutine' },
  mutex: { enabled: true, path: '/debug/pprof/mutex', delta: true, annotation: 'mutex' },
  block: { enabled: true, path: '/debug/pprof/block', delta: true, annotation: 'block' },
};

/** Sample types that are cumulative counters in Go's profiles, and so are delta'd when `delta` is on. */
export const CUMULATIVE_SAMPLE_TYPES: Readonly<Record<ProfileName, readonly string[]>> = {
  process_cpu: [],
  memory: ['alloc_objects', 'alloc_space'],
  goroutine: [],
  mutex: ['contentions', 'delay'],
  block: ['contentions', 'delay'],
};

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'keepequal',
  'dropequal',
  'lowercase',
  'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/** One Prometheus relabel rule; `regex` is anchored at both ends, as in Prometheus. */
export interface RelabelConfig {
  sourceLabels: string[];
  separator: string;
  regex: RegExp;
  targetLabel: string;
  replacement: string;
  action: RelabelAction;
}

export interface StaticConfig {
  /** HOST:PORT addresses. */
  targets: string[];
  labels: Record<string, string>;
}

export interface KubernetesSdConfig {
  role: 'pod';
  /** Namespaces to watch; empty: all of them. */
  namespaces: string[];
  /** A kubeconfig file; empty: the in-cluster service account (KUBERNETES_SERVICE_HOST). */
  kubeconfigFile: string;
}

/** How a job authenticates to its targets; secrets from files are read at every scrape (rotation). */
export interface ScrapeAuth {
  basicAuth: { username: string; password: string; passwordFile: string } | null;
  /** `Authorization: <type> <credentials>`; from `authorization` or the older `bearer_token(_file)`. */
  authorization: { type: string; credentials: string; credentialsFile: string } | null;
}

/** TLS towards `https` targets, as Prometheus's `tls_config`. */
export interface ScrapeTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  serverName: string;
  insecureSkipVerify: boolean;
}

export interface ScrapeConfig {
  jobName: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  scheme: 'http' | 'https';
  auth: ScrapeAuth;
  /** Null: the system's CAs, no client certificate. */
  tls: ScrapeTls | null;
  staticConfigs: StaticConfig[];
  kubernetesSdConfigs: KubernetesSdConfig[];
  relabelConfigs: RelabelConfig[];
  profilingConfig: Record<ProfileName, ProfileSettings>;
}

/**
 * Every key of a `scrape_configs` entry with its default and meaning; docs/errors.md lists them.
 * The YAML follows Prometheus's `scrape_config` and Alloy's `pyroscope.scrape`.
 */
export const SCRAPE_CONFIG_FIELDS = {
  job_name: { default: '(required)', doc: 'Name of the job; the `job` label of its series. Unique.' },
  scrape_interval: {
    default: '15s',
    doc: 'How often each target is scraped (a Prometheus duration: `500ms`, `15s`, `1m`). CPU profiles last `scrape_interval − 1s`.',
  },
  scrape_timeout: {
    default: '10s',
    doc: "How long one scrape may take, at most `scrape_interval`; CPU scrapes get the profile's seconds on top. Past it: ERR_SCRAPE_TIMEOUT.",
  },
  scheme: { default: 'http', doc: '`http` or `https`.' },
  basic_auth: {
    default: 'none',
    doc: '`username` and `password` or `password_file` (read at every scrape): HTTP basic authentication to the targets.',
  },
  authorization: {
    default: 'none',
    doc: '`type` (default `Bearer`) and `credentials` or `credentials_file` (read at every scrape): the `Authorization` header sent to the targets.',
  },
  bearer_token: { default: 'none', doc: 'Older form of `authorization: {credentials: ...}`.' },
  bearer_token_file: { default: 'none', doc: 'Older form of `authorization: {credentials_file: ...}`.' },
  tls_config: {
    default: "the system's CAs",
    doc: '`ca_file`, `cert_file` and `key_file` (client certificate), `server_name`, `insecure_skip_verify` for `https` targets.',
  },
  static_configs: { default: '[]', doc: 'Lists of `targets` (HOST:PORT) with extra `labels`.' },
  kubernetes_sd_configs: {
    default: '[]',
    doc: '`role: pod` discovery (list and watch) with optional `namespaces: {names: [...]}` and `kubeconfig_file`; pods opt in with `profiles.grafana.com/<type>.scrape` annotations.',
  },
  relabel_configs: {
    default: '[]',
    doc: 'Prometheus relabel rules (`source_labels`, `separator`, `regex`, `target_label`, `replacement`, `action`: replace, keep, drop, labelmap, labeldrop, labelkeep, keepequal, dropequal, lowercase, uppercase), applied to every target before it is scraped.',
  },
  profiling_config: {
    default: 'all five on',
    doc: "`process_cpu`, `memory`, `goroutine`, `mutex`, `block`, each `{enabled, path, delta}`; defaults are Alloy's (`/debug/pprof/profile`, `/debug/pprof/allocs`, ...).",
  },
} as const;

const DEFAULT_INTERVAL_MS = 15_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Reads `scrape_configs` from the parsed YAML, checking every key and value: anything off
 * is ERR_SCRAPE_CONFIG_INVALID naming its path, so a bad config stops the server at start.
 *
 * @example
 *   parseScrapeConfigs([{ job_name: 'go', static_configs: [{ targets: ['127.0.0.1:6060'] }] }], 'kiln.yaml: scrape_configs')
 */
export function parseScrapeConfigs(value: unknown, at: string): ScrapeConfig[] {
  if (value === null || value === undefined) return [];
  const list = asList(value, at);
  const jobs = list.map((item, i) => parseJob(item, `${at}[${i}]`));
  const seen = new Set<string>();
  for (const [i, job] of jobs.entries()) {
    if (seen.has(job.jobName)) fail(`${at}[${i}].job_name`, `\`${job.jobName}\` is used by two jobs`);
    seen.add(job.jobName);
  }
  return jobs;
}

function parseJob(value: unknown, at: string): ScrapeConfig {
  const m = asMap(value, at, Object.keys(SCRAPE_CONFIG_FIELDS));
  const jobName = asString(m.job_name, `${at}.job_name`);
  if (jobName === '') fail(`${at}.job_name`, 'is empty');
  const scrapeIntervalMs =
    m.scrape_interval === undefined ? DEFAULT_INTERVAL_MS : parseDurationMs(m.scrape_interval, `${at}.scrape_interval`);
  const scrapeTimeoutMs =
    m.scrape_timeout === undefined
      ? Math.min(DEFAULT_TIMEOUT_MS, scrapeIntervalMs)
      : parseDurationMs(m.scrape_timeout, `${at}.scrape_timeout`);
  if (scrapeIntervalMs < 1000) fail(`${at}.scrape_interval`, `${scrapeIntervalMs} ms is below the minimum of 1s`);
  if (scrapeTimeoutMs > scrapeIntervalMs) {
    fail(`${at}.scrape_timeout`, `${scrapeTimeoutMs} ms is longer than scrape_interval (${scrapeIntervalMs} ms)`);
  }
  const scheme = m.scheme === undefined ? 'http' : asString(m.scheme, `${at}.scheme`);
  if (scheme !== 'http' && scheme !== 'https') fail(`${at}.scheme`, `\`${scheme}\` is neither http nor https`);
  return {
    jobName,
    scrapeIntervalMs,
    scrapeTimeoutMs,
    scheme,
    auth: parseAuth(m, at),
    tls: m.tls_config === undefined ? null : parseTls(m.tls_config, `${at}.tls_config`),
    staticConfigs: asList(m.static_configs ?? [], `${at}.static_configs`).map((s, i) =>
      parseStatic(s, `${at}.static_configs[${i}]`),
    ),
    kubernetesSdConfigs: asList(m.kubernetes_sd_configs ?? [], `${at}.kubernetes_sd_configs`).map((s, i) =>
      parseKubernetes(s, `${at}.kubernetes_sd_configs[${i}]`),
    ),
    relabelConfigs: asList(m.relabel_configs ?? [], `${at}.relabel_configs`).map((r, i) =>
      parseRelabel(r, `${at}.relabel_configs[${i}]`),
    ),
    profilingConfig: parseProfiling(m.profiling_config ?? {}, `${at}.profiling_config`),
  };
}

function parseAuth(m: Record<string, unknown>, at: string): ScrapeAuth {
  const given = ['basic_auth', 'authorization', 'bearer_token', 'bearer_token_file'].filter((k) => m[k] !== undefined);
  if (given.length > 1) fail(`${at}.${given[1]}`, `only one of ${given.join(', ')} may be set`);
  let basicAuth: ScrapeAuth['basicAuth'] = null;
  if (m.basic_auth !== undefined) {
    const b = asMap(m.basic_auth, `${at}.basic_auth`, ['username', 'password', 'password_file']);
    if (b.password !== undefined && b.password_file !== undefined) {
      fail(`${at}.basic_auth.password_file`, 'only one of password and password_file may be set');
    }
    basicAuth = {
      username: asString(b.username, `${at}.basic_auth.username`),
      password: b.password === undefined ? '' : asString(b.password, `${at}.basic_auth.password`),
      passwordFile:
        b.password_file === undefined ? '' : readableFile(b.password_file, `${at}.basic_auth.password_file`),
    };
  }
  let authorization: ScrapeAuth['authorization'] = null;
  if (m.authorization !== undefined) {
    const a = asMap(m.authorization, `${at}.authorization`, ['type', 'credentials', 'credentials_file']);
    if ((a.credentials === undefined) === (a.credentials_file === undefined)) {
      fail(`${at}.authorization`, 'needs exactly one of credentials and credentials_file');
    }
    const type = a.type === undefined ? 'Bearer' : asString(a.type, `${at}.authorization.type`);
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(type))
      fail(`${at}.authorization.type`, `\`${type}\` is not an HTTP auth scheme`);
    authorization = {
      type,
      credentials: a.credentials === undefined ? '' : asString(a.credentials, `${at}.authorization.credentials`),
      credentialsFile:
        a.credentials_file === undefined
          ? ''
          : readableFile(a.credentials_file, `${at}.authorization.credentials_file`),
    };
  } else if (m.bearer_token !== undefined) {
    authorization = {
      type: 'Bearer',
      credentials: asString(m.bearer_token, `${at}.bearer_token`),
      credentialsFile: '',
    };
  } else if (m.bearer_token_file !== undefined) {
    authorization = {
      type: 'Bearer',
      credentials: '',
      credentialsFile: readableFile(m.bearer_token_file, `${at}.bearer_token_file`),
    };
  }
  return { basicAuth, authorization };
}

function parseTls(value: unknown, at: string): ScrapeTls {
  const m = asMap(value, at, ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify']);
  const file = (key: string): string => (m[key] === undefined ? '' : readableFile(m[key], `${at}.${key}`));
  const tls: ScrapeTls = {
    caFile: file('ca_file'),
    certFile: file('cert_file'),
    keyFile: file('key_file'),
    serverName: m.server_name === undefined ? '' : asString(m.server_name, `${at}.server_name`),
    insecureSkipVerify:
      m.insecure_skip_verify === undefined ? false : asBoolean(m.insecure_skip_verify, `${at}.insecure_skip_verify`),
  };
  if ((tls.certFile === '') !== (tls.keyFile === '')) fail(at, 'cert_file and key_file go together');
  return tls;
}

/** A path that can be read now (secrets and certificates are read again when used). */
function readableFile(value: unknown, at: string): string {
  const path = asString(value, at);
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    fail(at, `cannot read \`${path}\`: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return path;
}

function parseStatic(value: unknown, at: string): StaticConfig {
  const m = asMap(value, at, ['targets', 'labels']);
  const targets = asList(m.targets ?? [], `${at}.targets`).map((t, i) => asString(t, `${at}.targets[${i}]`));
  for (const [i, t] of targets.entries()) {
    if (!/^[^/\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(t)) {
      fail(`${at}.targets[${i}]`, `\`${t}\` is not HOST:PORT`);
    }
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asMap(m.labels ?? {}, `${at}.labels`, null))) {
    checkLabelName(k, `${at}.labels`);
    labels[k] = asString(v, `${at}.labels.${k}`);
  }
  return { targets, labels };
}

function parseKubernetes(value: unknown, at: string): KubernetesSdConfig {
  const m = asMap(value, at, ['role', 'namespaces', 'kubeconfig_file']);
  const role = asString(m.role, `${at}.role`);
  if (role !== 'pod') fail(`${at}.role`, `\`${role}\` is not supported (only \`pod\`)`);
  const ns = asMap(m.namespaces ?? {}, `${at}.namespaces`, ['names']);
  const namespaces = asList(ns.names ?? [], `${at}.namespaces.names`).map((n, i) =>
    asString(n, `${at}.namespaces.names[${i}]`),
  );
  const kubeconfigFile = m.kubeconfig_file === undefined ? '' : asString(m.kubeconfig_file, `${at}.kubeconfig_file`);
  return { role: 'pod', namespaces, kubeconfigFile };
}

function parseRelabel(value: unknown, at: string): RelabelConfig {
  const m = asMap(value, at, ['source_labels', 'separator', 'regex', 'target_label', 'replacement', 'action']);
  const action = (m.action === undefined ? 'replace' : asString(m.action, `${at}.action`)) as RelabelAction;
  if (!RELABEL_ACTIONS.includes(action)) {
    fail(`${at}.action`, `\`${action}\` is not one of ${RELABEL_ACTIONS.join(', ')}`);
  }
  const sourceLabels = asList(m.source_labels ?? [], `${at}.source_labels`).map((s, i) =>
    asString(s, `${at}.source_labels[${i}]`),
  );
  const regexText = m.regex === undefined ? '(.*)' : asString(m.regex, `${at}.regex`);
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${regexText})$`);
  } catch (err) {
    return fail(`${at}.regex`, `\`${regexText}\` is not a regular expression (${(err as Error).message})`);
  }
  const targetLabel = m.target_label === undefined ? '' : asString(m.target_label, `${at}.target_label`);
  const needsTarget = ['replace', 'keepequal', 'dropequal', 'lowercase', 'uppercase'].includes(action);
  if (needsTarget && targetLabel === '') fail(`${at}.target_label`, `is required for action ${action}`);
  if (['keep', 'drop', 'keepequal', 'dropequal'].includes(action) && sourceLabels.length === 0) {
    fail(`${at}.source_labels`, `is required for action ${action}`);
  }
  return {
    sourceLabels,
    separator: m.separator === undefined ? ';' : asString(m.separator, `${at}.separator`),
    regex,
    targetLabel,
    replacement: m.replacement === undefined ? '$1' : asString(m.replacement, `${at}.replacement`),
    action,
  };
}

function parseProfiling(value: unknown, at: string): Record<ProfileName, ProfileSettings> {
  const m = asMap(value, at, PROFILE_NAMES);
  const out = {} as Record<ProfileName, ProfileSettings>;
  for (const name of PROFILE_NAMES) {
    const d = PROFILE_DEFAULTS[name];
    const p = asMap(m[name] ?? {}, `${at}.${name}`, ['enabled', 'path', 'delta']);
    const path = p.path === undefined ? d.path : asString(p.path, `${at}.${name}.path`);
    if (!path.startsWith('/')) fail(`${at}.${name}.path`, `\`${path}\` does not start with /`);
    out[name] = {
      enabled: p.enabled === undefined ? d.enabled : asBoolean(p.enabled, `${at}.${name}.enabled`),
      path,
      delta: p.delta === undefined ? d.delta : asBoolean(p.delta, `${at}.${name}.delta`),
    };
  }
  return out;
}

/** A Prometheus duration (`1h30m`, `15s`, `500ms`) in milliseconds. */
export function parseDurationMs(value: unknown, at: string): number {
  // A bare number is no duration (Prometheus refuses `scrape_interval: 15` too).
  const text = asString(value, at);
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') return fail(at, `\`${text}\` is not a duration like 15s, 1m or 500ms`);
  const [h, min, s, ms] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number];
  return ((h * 60 + min) * 60 + s) * 1000 + ms;
}

function checkLabelName(name: string, at: string): void {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) fail(at, `\`${name}\` is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
}

function asMap(value: unknown, at: string, keys: readonly string[] | null): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(at, 'expected a mapping');
  if (keys) {
    for (const k of Object.keys(value)) {
      if (!keys.includes(k)) fail(`${at}.${k}`, `unknown key (known: ${keys.join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

function asList(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) return fail(at, 'expected a list');
  return value;
}

function asString(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return fail(at, value === undefined ? 'is required' : `\`${JSON.stringify(value)}\` is not a string`);
}

function asBoolean(value: unknown, at: string): boolean {
  if (typeof value === 'boolean') return value;
  return fail(at, `\`${JSON.stringify(value)}\` is not true or false`);
}

function fail(at: string, what: string): never {
  const err: KilnError = scrapeError('ERR_SCRAPE_CONFIG_INVALID', `${at}: ${what}`);
  throw err;
}
