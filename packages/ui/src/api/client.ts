/**
 * The UI's calls to the Kiln server: Pyroscope's render routes for flame graphs (what Grafana's
 * old panel and the v0.x UI use) and querier.v1 over Connect's JSON protocol for everything
 * else (what Grafana's Pyroscope data source uses). Errors come back as ApiError with the
 * server's code (ERR_QUERY_..., ERR_HTTP_...).
 */
import type { DiffFlamebearer, Flamebearer } from '@kiln/model';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface TimeRange {
  fromMs: number;
  untilMs: number;
}

export interface RenderResult {
  flamebearer: Flamebearer;
  metadata: { name?: string; units?: string; sampleRate?: number; format?: string };
}

export interface DiffResult {
  flamebearer: DiffFlamebearer;
}

export interface ProfileTypeInfo {
  /** `process_cpu:cpu:nanoseconds:cpu:nanoseconds` */
  id: string;
  name: string;
  sampleType: string;
  sampleUnit: string;
}

export interface SeriesResult {
  labels: Record<string, string>;
  /** [ms, value], ascending. */
  points: [number, number][];
}

const CONNECT = '/querier.v1.QuerierService';

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `request failed with status ${res.status}`;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    // The legacy routes answer {code: 'ERR_...', message}; Connect answers {code: 'invalid_argument',
    // message: 'ERR_...: text'}, the Kiln code first in the message.
    if (typeof body.message === 'string') message = body.message;
    if (typeof body.code === 'string') code = body.code;
    const prefixed = /^(ERR_[A-Z0-9_]+): (.*)$/s.exec(message);
    if (prefixed) [, code, message] = prefixed as unknown as [string, string, string];
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(code, message, res.status);
}

async function getJson<T>(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${path}?${new URLSearchParams(params)}`, { signal: signal ?? null });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

async function connect<T>(method: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${CONNECT}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'connect-protocol-version': '1' },
    body: JSON.stringify(body),
    signal: signal ?? null,
  });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** The merged flame graph of a query over a range (/pyroscope/render). */
export async function fetchRender(
  query: string,
  range: TimeRange,
  maxNodes: number,
  signal?: AbortSignal,
): Promise<RenderResult> {
  const body = await getJson<RenderResult>(
    '/pyroscope/render',
    { query, from: String(range.fromMs), until: String(range.untilMs), 'max-nodes': String(maxNodes) },
    signal,
  );
  return { flamebearer: body.flamebearer, metadata: body.metadata ?? {} };
}

/** The diff of two selections (/pyroscope/render-diff): left is the baseline. */
export async function fetchRenderDiff(
  left: { query: string; range: TimeRange },
  right: { query: string; range: TimeRange },
  maxNodes: number,
  signal?: AbortSignal,
): Promise<DiffResult> {
  const body = await getJson<{ flamebearer: Flamebearer; leftTicks: number; rightTicks: number }>(
    '/pyroscope/render-diff',
    {
      leftQuery: left.query,
      leftFrom: String(left.range.fromMs),
      leftUntil: String(left.range.untilMs),
      rightQuery: right.query,
      rightFrom: String(right.range.fromMs),
      rightUntil: String(right.range.untilMs),
      'max-nodes': String(maxNodes),
    },
    signal,
  );
  return { flamebearer: { ...body.flamebearer, leftTicks: body.leftTicks, rightTicks: body.rightTicks } };
}

export async function fetchProfileTypes(range: TimeRange, signal?: AbortSignal): Promise<ProfileTypeInfo[]> {
  const body = await connect<{
    profileTypes?: { ID: string; name: string; sampleType: string; sampleUnit: string }[];
  }>('ProfileTypes', { start: range.fromMs, end: range.untilMs }, signal);
  return (body.profileTypes ?? []).map((t) => ({
    id: t.ID,
    name: t.name,
    sampleType: t.sampleType,
    sampleUnit: t.sampleUnit,
  }));
}

export async function fetchLabelNames(matchers: string, range: TimeRange, signal?: AbortSignal): Promise<string[]> {
  const body = await connect<{ names?: string[] }>(
    'LabelNames',
    { matchers: matchers === '' ? [] : [matchers], start: range.fromMs, end: range.untilMs },
    signal,
  );
  return body.names ?? [];
}

export async function fetchLabelValues(
  name: string,
  matchers: string,
  range: TimeRange,
  signal?: AbortSignal,
): Promise<string[]> {
  const body = await connect<{ names?: string[] }>(
    'LabelValues',
    { name, matchers: matchers === '' ? [] : [matchers], start: range.fromMs, end: range.untilMs },
    signal,
  );
  return body.names ?? [];
}

/** Totals per step, one series per value of the group-by labels (querier.v1 SelectSeries). */
export async function fetchSeries(
  profileTypeId: string,
  labelSelector: string,
  range: TimeRange,
  stepSeconds: number,
  groupBy: readonly string[],
  signal?: AbortSignal,
): Promise<SeriesResult[]> {
  const body = await connect<{
    series?: { labels?: { name: string; value: string }[]; points?: { value?: number; timestamp: string }[] }[];
  }>(
    'SelectSeries',
    {
      profileTypeID: profileTypeId,
      labelSelector,
      start: range.fromMs,
      end: range.untilMs,
      step: stepSeconds,
      groupBy,
    },
    signal,
  );
  return (body.series ?? []).map((s) => ({
    labels: Object.fromEntries((s.labels ?? []).map((l) => [l.name, l.value])),
    points: (s.points ?? []).map((p) => [Number(p.timestamp), p.value ?? 0] as [number, number]),
  }));
}

/** The profile type ids with data for the series a selector matches (querier.v1 Series). */
export async function fetchProfileTypesOf(selector: string, range: TimeRange, signal?: AbortSignal): Promise<string[]> {
  const body = await connect<{ labelsSet?: { labels?: { name: string; value: string }[] }[] }>(
    'Series',
    { matchers: [selector], labelNames: ['__profile_type__'], start: range.fromMs, end: range.untilMs },
    signal,
  );
  const ids = new Set<string>();
  for (const set of body.labelsSet ?? []) {
    for (const l of set.labels ?? []) if (l.name === '__profile_type__') ids.add(l.value);
  }
  return [...ids].sort();
}

/** One scrape target as `GET /api/v1/targets` lists it (Prometheus's shape; `labels.__name__` is the profile). */
export interface ScrapeTargetInfo {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  /** RFC 3339; `0001-01-01T00:00:00Z` before the first scrape. */
  lastScrape: string;
  /** Seconds. */
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
}

/** A job whose service discovery fails now (Kiln's `discoveryErrors` in `GET /api/v1/targets`). */
export interface DiscoveryErrorInfo {
  scrapePool: string;
  lastError: string;
  /** RFC 3339. */
  lastErrorTime: string;
}

/** The pull-mode targets and their health, and the jobs whose discovery fails (empty without scrape_configs). */
export async function fetchTargets(
  signal?: AbortSignal,
): Promise<{ targets: ScrapeTargetInfo[]; discoveryErrors: DiscoveryErrorInfo[] }> {
  const body = await getJson<{ data: { activeTargets: ScrapeTargetInfo[]; discoveryErrors?: DiscoveryErrorInfo[] } }>(
    '/api/v1/targets',
    { state: 'active' },
    signal,
  );
  return { targets: body.data.activeTargets, discoveryErrors: body.data.discoveryErrors ?? [] };
}
