import { readFileSync, writeFileSync } from 'node:fs';
import { buildStandaloneHtml } from '@kiln/formats';
import { decodeFlamebearer, selectTopFunctions, type Flamebearer, type TopFunction } from '@kiln/model';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { cliError } from '../cli-error.js';
import { describe } from '../upload/ingest-client.js';
import { standaloneScriptPath } from './adhoc.js';
import { positiveInt } from './profile-options.js';

export interface QueryOptions {
  serverAddress: string;
  applicationName?: string;
  query?: string;
  /** Profile type id; absent: the selection's CPU type (see `pickCpuType`). */
  type?: string;
  from: string;
  until: string;
  top: number;
  maxNodes: number;
  out?: string;
  authToken?: string;
  tenantId?: string;
}

export const QUERY_DEFAULTS = {
  type: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  from: 'now-1h',
  until: 'now',
  top: 20,
  maxNodes: 8192,
} as const;

interface RenderResponse {
  flamebearer: Flamebearer;
  metadata: { units?: string; name?: string };
}

/** `type{selector}`: `--query` as given, else `{service_name="<app>"}`, else every series. */
export function buildQuery(options: Pick<QueryOptions, 'query' | 'applicationName'> & { type: string }): string {
  const selector =
    options.query ??
    (options.applicationName ? `{service_name="${options.applicationName.replace(/["\\]/g, '\\$&')}"}` : '{}');
  return `${options.type}${selector.startsWith('{') ? selector : `{${selector}}`}`;
}

/**
 * `kiln query`: the merged profile of a selection from a server's /pyroscope/render: a top
 * table (self and total per function) on standard output, or a file by `--out`'s extension:
 * `.html` a standalone flame graph, `.json` flamebearer, `.folded`/`.txt` folded stacks,
 * `.pb.gz`/`.pprof` pprof.
 */
export async function queryProfile(options: QueryOptions): Promise<number> {
  const type = options.type ?? pickCpuType(await profileTypesOf(options));
  const query = buildQuery({ ...options, type });
  const out = options.out;
  const format =
    out === undefined || /\.(html?|json)$/.test(out)
      ? 'json'
      : /\.(folded|txt|collapsed)$/.test(out)
        ? 'collapsed'
        : 'pprof';
  const body = await render(options, query, format);
  if (out !== undefined && format !== 'json') {
    writeFileSync(out, body);
    process.stderr.write(`kiln: wrote ${out}\n`);
    return 0;
  }
  const response = JSON.parse(body.toString('utf8')) as RenderResponse;
  if (out?.endsWith('.json')) {
    writeFileSync(out, body);
  } else if (out !== undefined) {
    const [name, sample, unit, periodType, periodUnit] = type.split(':');
    const html = buildStandaloneHtml(readFileSync(standaloneScriptPath(), 'utf8'), {
      flamebearer: response.flamebearer,
      metadata: {
        name: options.applicationName ?? query,
        unit: unit ?? '',
        profileType: `${name}:${sample}:${unit}:${periodType ?? ''}:${periodUnit ?? ''}`,
        from: null,
        until: null,
      },
    });
    writeFileSync(out, html);
  }
  if (out !== undefined) {
    process.stderr.write(`kiln: wrote ${out}\n`);
    return 0;
  }
  const unit = type.split(':')[2] ?? '';
  process.stdout.write(
    formatTopTable(
      selectTopFunctions(decodeFlamebearer(response.flamebearer)),
      response.flamebearer.numTicks,
      unit,
      options.top,
    ),
  );
  return 0;
}

/**
 * The CPU type to show when `--type` is not given, as the UI picks: Pyroscope's
 * `process_cpu:cpu:nanoseconds:cpu:nanoseconds`, else another CPU type (the Node agent's has
 * period type `wall`), else wall time (austin), else the first; the default when none is known.
 */
export function pickCpuType(types: readonly string[]): string {
  const sorted = [...types].sort();
  return (
    sorted.find((t) => t === QUERY_DEFAULTS.type) ??
    sorted.find((t) => t.startsWith('process_cpu:cpu:')) ??
    sorted.find((t) => t.startsWith('process_cpu:')) ??
    sorted.find((t) => t.startsWith('wall:')) ??
    sorted[0] ??
    QUERY_DEFAULTS.type
  );
}

/** The profile types the selection has in the range (querier.v1 Series by `__profile_type__`). */
async function profileTypesOf(options: QueryOptions): Promise<string[]> {
  const res = await request(options, '/querier.v1.QuerierService/Series', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: [buildQuery({ ...options, type: '' })],
      labelNames: ['__profile_type__'],
      start: parseTimeMs(options.from),
      end: parseTimeMs(options.until),
    }),
  });
  const body = (await res.json()) as { labelsSet?: { labels?: { name: string; value: string }[] }[] };
  const types = new Set<string>();
  for (const set of body.labelsSet ?? [])
    for (const l of set.labels ?? []) if (l.name === '__profile_type__') types.add(l.value);
  return [...types];
}

/** `now`, `now-1h` (s, m, h, d, w), Unix seconds or ms by digit count, or a date Date.parse reads. */
export function parseTimeMs(text: string, nowMs = Date.now()): number {
  const rel = /^now(?:-(\d+)(s|m|h|d|w))?$/.exec(text.trim());
  if (rel) {
    const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(rel[2] ?? 's') as 's'];
    return nowMs - Number(rel[1] ?? 0) * unitMs;
  }
  if (/^\d+$/.test(text)) return text.length <= 10 ? Number(text) * 1000 : Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(`a time like now-1h, Unix seconds or 2026-11-25T10:00:00Z, got "${text}"`);
  return ms;
}

async function request(options: QueryOptions, path: string, init: RequestInit = {}): Promise<Response> {
  const url = new URL(`${options.serverAddress.replace(/\/+$/, '')}${path}`);
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (options.authToken) headers.authorization = `Bearer ${options.authToken}`;
  if (options.tenantId) headers['x-scope-orgid'] = options.tenantId;
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw cliError('ERR_CLI_SERVER', `${url.origin} could not be reached: ${cause}`);
  }
  if (!res.ok)
    throw cliError('ERR_CLI_SERVER', `${url.origin} answered ${res.status}: ${await describe(res)}`, {
      status: res.status,
    });
  return res;
}

async function render(options: QueryOptions, query: string, format: string): Promise<Buffer> {
  const params = new URLSearchParams({
    query,
    from: options.from,
    until: options.until,
    'max-nodes': String(options.maxNodes),
  });
  if (format !== 'json') params.set('format', format);
  const res = await request(options, `/pyroscope/render?${params}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The `top` rows as a text table: self, self %, total, total %, name; values in the unit's terms. */
export function formatTopTable(rows: readonly TopFunction[], totalValue: number, unit: string, limit: number): string {
  const pct = (v: number): string => (totalValue > 0 ? `${((100 * v) / totalValue).toFixed(2)}%` : '-');
  const lines = [['self', 'self%', 'total', 'total%', 'function']];
  for (const r of rows.slice(0, limit))
    lines.push([formatValue(r.self, unit), pct(r.self), formatValue(r.total, unit), pct(r.total), r.name]);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...lines.map((l) => l[c]!.length)));
  const text = lines.map(
    (l) =>
      `${l
        .slice(0, 4)
        .map((cell, c) => cell.padStart(widths[c]!))
        .join('  ')}  ${l[4]}`,
  );
  text.push(
    `total ${formatValue(totalValue, unit)}${rows.length > limit ? `; ${rows.length - limit} more functions (--top)` : ''}`,
  );
  return `${text.join('\n')}\n`;
}

/** `1.23s`, `45.6ms`, `12.3 MB`, or the number as is for counts. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'nanoseconds') {
    if (value >= 1e9) return `${(value / 1e9).toFixed(2)}s`;
    if (value >= 1e6) return `${(value / 1e6).toFixed(1)}ms`;
    return value === 0 ? '0' : `${(value / 1e3).toFixed(1)}µs`;
  }
  if (unit === 'bytes') {
    if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(2)} GiB`;
    if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
    if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
    return `${value} B`;
  }
  return String(value);
}

export function registerQuery(program: Command): void {
  const env = process.env;
  program
    .command('query')
    .description("print a selection's top functions from a server, or write its flame graph to a file")
    .addOption(
      new Option('--server, --server-address <url>', 'Kiln or Pyroscope server').default(
        env.KILN_SERVER_ADDRESS ?? env.PYROSCOPE_SERVER_ADDRESS ?? 'http://localhost:4040',
      ),
    )
    .addOption(new Option('--app, --application-name <name>', 'the service (service_name)'))
    .addOption(new Option('--query <selector>', 'label selector, e.g. {service_name="api",env="prod"}'))
    .addOption(
      new Option(
        '--type <profile_type>',
        `profile type id (default: the selection's CPU type, ${QUERY_DEFAULTS.type} when it has it)`,
      ),
    )
    .addOption(new Option('--from <time>', 'start: now-1h, Unix seconds or ms, RFC 3339').default(QUERY_DEFAULTS.from))
    .addOption(new Option('--until <time>', 'end').default(QUERY_DEFAULTS.until))
    .addOption(
      new Option('--top <n>', 'rows of the top table').argParser(positiveInt('--top')).default(QUERY_DEFAULTS.top),
    )
    .addOption(
      new Option('--max-nodes <n>', 'nodes of the merged flame graph')
        .argParser(positiveInt('--max-nodes'))
        .default(QUERY_DEFAULTS.maxNodes),
    )
    .addOption(new Option('--out <file>', 'write a flame graph file: .html, .json, .folded, .pb.gz'))
    .addOption(new Option('--auth-token <token>', 'sent as Authorization: Bearer').default(env.KILN_AUTH_TOKEN))
    .addOption(new Option('--tenant-id <id>', 'sent as X-Scope-OrgID').default(env.KILN_TENANT_ID))
    .action(async (opts: QueryOptions) => {
      process.exitCode = await queryProfile(opts);
    });
}
