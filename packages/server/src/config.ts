import { readFileSync } from 'node:fs';
import { KilnError } from '@kiln/model';
import { parse as parseYaml } from 'yaml';
import { parseScrapeConfigs, type ScrapeConfig } from './scrape/scrape-config.js';

/**
 * Everything `kiln server` can be told. Each setting comes from, in order of precedence:
 * a command-line flag, a `KILN_*` environment variable, the YAML config file, the default.
 * docs/configuration.md lists them all (generated from SETTINGS).
 */
export interface ServerConfig {
  /** HOST:PORT to listen on. */
  listen: string;
  dataDir: string;
  selfProfiling: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Tenant used when a request carries no X-Scope-OrgID. */
  defaultTenant: string;
  /** Ingest limits (bytes, samples, rate). */
  maxRequestBodyBytes: number;
  maxDecompressedBytes: number;
  maxSamplesPerProfile: number;
  ingestRateBytesPerSecond: number;
  ingestBurstBytes: number;
  /** Storage limits (per series and tenant). */
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxSeriesPerTenant: number;
  /** Query limits. */
  maxFlameGraphNodes: number;
  defaultFlameGraphNodes: number;
  /** Retention of each resolution in days (0 keeps forever): 10 s, 1 min, 10 min, 1 h, 1 d. */
  retentionDays: number[];
  /** DuckDB's buffer memory in MiB. */
  storageMemoryLimitMb: number;
  /** The built UI (packages/ui/dist); empty: the one beside this package. */
  uiDir: string;
  /** Pull mode: Prometheus-style jobs whose targets the server scrapes (scrape/scrape-config.ts). */
  scrapeConfigs: ScrapeConfig[];
  /** Scrape limits: targets, scrapes in flight, bytes of one answer, and the wait before discovery retries. */
  scrapeMaxTargets: number;
  scrapeMaxConcurrent: number;
  scrapeMaxBodyBytes: number;
  scrapeDiscoveryRetryMs: number;
  /** On SIGTERM, how long requests in flight may take before their connections are closed. */
  gracefulShutdownTimeoutMs: number;
}

type SettingKind = 'string' | 'boolean' | 'integer' | 'integer-list' | 'log-level' | 'scrape-configs';

interface Setting {
  /** YAML key (snake_case), flag `--kebab-case`, env KILN_UPPER_SNAKE. */
  key: string;
  kind: SettingKind;
  default: ServerConfig[keyof ServerConfig];
  doc: string;
}

const MiB = 1024 * 1024;

/** Every setting with its default and doc line, keyed by its ServerConfig field. */
export const SETTINGS: { [K in keyof ServerConfig]: Setting & { default: ServerConfig[K] } } = {
  listen: { key: 'listen', kind: 'string', default: '0.0.0.0:4040', doc: 'Address to serve HTTP on, HOST:PORT.' },
  dataDir: { key: 'data_dir', kind: 'string', default: './data', doc: 'Directory of the embedded store.' },
  selfProfiling: {
    key: 'self_profiling',
    kind: 'boolean',
    default: true,
    doc: 'Profile the server itself (CPU and heap) into its own store as service `kiln-server`.',
  },
  logLevel: {
    key: 'log_level',
    kind: 'log-level',
    default: 'info',
    doc: 'fatal, error, warn, info, debug, trace or silent.',
  },
  defaultTenant: {
    key: 'default_tenant',
    kind: 'string',
    default: 'anonymous',
    doc: 'Tenant of requests without an `X-Scope-OrgID` header (Pyroscope single-tenant mode uses `anonymous`).',
  },
  maxRequestBodyBytes: {
    key: 'max_request_body_bytes',
    kind: 'integer',
    default: 64 * MiB,
    doc: 'Bytes of one request body as sent (compressed); larger requests get 413.',
  },
  maxDecompressedBytes: {
    key: 'max_decompressed_bytes',
    kind: 'integer',
    default: 128 * MiB,
    doc: 'Bytes of one profile after gunzip; a gzip bomb stops here.',
  },
  maxSamplesPerProfile: {
    key: 'max_samples_per_profile',
    kind: 'integer',
    default: 500_000,
    doc: 'Samples in one uploaded profile.',
  },
  ingestRateBytesPerSecond: {
    key: 'ingest_rate_bytes_per_second',
    kind: 'integer',
    default: 16 * MiB,
    doc: 'Sustained ingest per tenant, in request bytes per second; beyond it requests get 429 with Retry-After.',
  },
  ingestBurstBytes: {
    key: 'ingest_burst_bytes',
    kind: 'integer',
    default: 128 * MiB,
    doc: 'Ingest bytes a tenant may send at once above the sustained rate.',
  },
  maxLabelsPerSeries: { key: 'max_labels_per_series', kind: 'integer', default: 30, doc: 'Labels on one series.' },
  maxLabelNameLength: {
    key: 'max_label_name_length',
    kind: 'integer',
    default: 1024,
    doc: 'Characters in a label name.',
  },
  maxLabelValueLength: {
    key: 'max_label_value_length',
    kind: 'integer',
    default: 2048,
    doc: 'Characters in a label value.',
  },
  maxSeriesPerTenant: {
    key: 'max_series_per_tenant',
    kind: 'integer',
    default: 5000,
    doc: 'Distinct series one tenant may create.',
  },
  maxFlameGraphNodes: {
    key: 'max_flamegraph_nodes',
    kind: 'integer',
    default: 1_048_576,
    doc: 'Largest `max_nodes` a query may ask for.',
  },
  defaultFlameGraphNodes: {
    key: 'default_flamegraph_nodes',
    kind: 'integer',
    default: 8192,
    doc: 'Flame graph nodes when a query does not say.',
  },
  retentionDays: {
    key: 'retention_days',
    kind: 'integer-list',
    default: [7, 30, 90, 400, 0],
    doc: 'Days kept at each resolution: 10 s, 1 min, 10 min, 1 h, 1 day (0 = forever).',
  },
  uiDir: {
    key: 'ui_dir',
    kind: 'string',
    default: '',
    doc: 'The built web UI (`npm run build -w @kiln/ui` writes it); empty: packages/ui/dist beside the server. `/` answers ERR_HTTP_UI_NOT_BUILT when it is missing.',
  },
  storageMemoryLimitMb: {
    key: 'storage_memory_limit_mb',
    kind: 'integer',
    default: 1024,
    doc: "DuckDB's buffer memory limit, MiB.",
  },
  scrapeConfigs: {
    key: 'scrape_configs',
    kind: 'scrape-configs',
    default: [],
    doc: 'Pull mode: a list of Prometheus-style scrape jobs (`job_name`, `static_configs`, `kubernetes_sd_configs`, `relabel_configs`, `profiling_config`; see "Scrape jobs" below). As a flag or variable, YAML or JSON text. A mistake stops the server with ERR_SCRAPE_CONFIG_INVALID.',
  },
  scrapeMaxTargets: {
    key: 'scrape_max_targets',
    kind: 'integer',
    default: 1000,
    doc: 'Targets (endpoint and profile type) scraped at most over all jobs; the rest are listed down with ERR_SCRAPE_TARGET_LIMIT.',
  },
  scrapeMaxConcurrent: {
    key: 'scrape_max_concurrent',
    kind: 'integer',
    default: 32,
    doc: 'Scrapes in flight at once; others wait for a free slot (the wait counts against their timeout).',
  },
  scrapeMaxBodyBytes: {
    key: 'scrape_max_body_bytes',
    kind: 'integer',
    default: 64 * MiB,
    doc: 'Bytes of one scraped profile as sent; a longer answer is cut off and the scrape fails with ERR_SCRAPE_TOO_LARGE.',
  },
  scrapeDiscoveryRetryMs: {
    key: 'scrape_discovery_retry_ms',
    kind: 'integer',
    default: 5000,
    doc: 'Wait before Kubernetes discovery lists and watches again after a failure (ERR_SCRAPE_DISCOVERY).',
  },
  gracefulShutdownTimeoutMs: {
    key: 'graceful_shutdown_timeout_ms',
    kind: 'integer',
    default: 10_000,
    doc: "On SIGTERM, how long requests in flight may take to finish; then their connections are closed (idle keep-alive connections close at once), as Pyroscope's `-server.graceful-shutdown-timeout`.",
  },
};

export function defaultConfig(): ServerConfig {
  const out: Record<string, unknown> = {};
  for (const [field, s] of Object.entries(SETTINGS)) out[field] = Array.isArray(s.default) ? [...s.default] : s.default;
  return out as unknown as ServerConfig;
}

export function envName(field: keyof ServerConfig): string {
  return `KILN_${SETTINGS[field].key.toUpperCase()}`;
}

export function flagName(field: keyof ServerConfig): string {
  return `--${SETTINGS[field].key.replace(/_/g, '-')}`;
}

/**
 * Resolves the configuration: flags over KILN_* environment over the YAML file over defaults.
 * The file is `flags.config`, else KILN_CONFIG. Unknown keys and bad values are errors
 * (ERR_CONFIG_INVALID) naming where they came from.
 *
 * @example
 *   loadConfig({ listen: '127.0.0.1:4040' }, process.env)
 */
export function loadConfig(
  flags: Partial<Record<keyof ServerConfig, string>> & { config?: string },
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig {
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const file = flags.config ?? env.KILN_CONFIG;
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw configError(`cannot read the config file ${file}: ${(err as Error).message}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(`${file}: expected a mapping of settings`);
      const byKey = new Map(Object.entries(SETTINGS).map(([field, s]) => [s.key, field as keyof ServerConfig]));
      for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
        const field = byKey.get(key);
        if (!field) throw configError(`${file}: unknown setting \`${key}\` (known: ${[...byKey.keys()].join(', ')})`);
        config[field] = coerce(field, value, `${file}: ${key}`);
      }
    }
  }
  for (const field of Object.keys(SETTINGS) as (keyof ServerConfig)[]) {
    const value = env[envName(field)];
    if (value !== undefined && value !== '') config[field] = coerce(field, value, envName(field));
  }
  for (const field of Object.keys(SETTINGS) as (keyof ServerConfig)[]) {
    const value = flags[field];
    if (value !== undefined) config[field] = coerce(field, value, flagName(field));
  }
  const result = config as unknown as ServerConfig;
  parseListen(result.listen);
  return result;
}

/** Splits HOST:PORT (`:4040` means every interface). */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(i < 0 ? listen : listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw configError(`listen \`${listen}\` is not HOST:PORT with a port from 0 to 65535`);
  }
  return { host, port };
}

function coerce(field: keyof ServerConfig, value: unknown, where: string): unknown {
  const kind = SETTINGS[field].kind;
  const text = typeof value === 'string' ? value.trim() : value;
  switch (kind) {
    case 'string':
      if (typeof text === 'string' && text !== '') return text;
      if (typeof text === 'number') return String(text);
      break;
    case 'boolean':
      if (typeof text === 'boolean') return text;
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      break;
    case 'integer': {
      const n = typeof text === 'number' ? text : Number(text);
      if (typeof text !== 'boolean' && text !== '' && Number.isSafeInteger(n) && n >= 0) return n;
      break;
    }
    case 'integer-list': {
      const items = Array.isArray(text) ? text : typeof text === 'string' ? text.split(',') : null;
      const nums = items?.map((x) => Number(typeof x === 'string' ? x.trim() : x));
      if (nums && nums.length === 5 && nums.every((n) => Number.isSafeInteger(n) && n >= 0)) return nums;
      break;
    }
    case 'scrape-configs': {
      let parsed = value;
      if (typeof value === 'string') {
        try {
          parsed = parseYaml(value);
        } catch (err) {
          throw configError(`${where}: not YAML or JSON (${(err as Error).message})`);
        }
      }
      return parseScrapeConfigs(parsed, where);
    }
    case 'log-level':
      if (typeof text === 'string' && ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(text)) {
        return text;
      }
      break;
  }
  throw configError(`${where}: \`${String(value)}\` is not a valid ${kind} (${SETTINGS[field].doc})`);
}

function configError(message: string): KilnError {
  return new KilnError('ERR_CONFIG_INVALID', message);
}
