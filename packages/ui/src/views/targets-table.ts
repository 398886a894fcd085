import type { DiscoveryErrorInfo, ScrapeTargetInfo } from '../api/client.js';

export interface TargetRow {
  key: string;
  url: string;
  profile: string;
  health: ScrapeTargetInfo['health'];
  /** `name=value` of the series labels, without `__name__`, `job` and `instance` (shown elsewhere). */
  labels: string[];
  /** `12s ago`, or `never`. */
  lastScrape: string;
  /** `1.25 s`, `38 ms`, or '' before the first scrape. */
  duration: string;
  error: string;
}

export interface TargetJob {
  job: string;
  up: number;
  total: number;
  rows: TargetRow[];
  /** Why the job's discovery fails now (`ERR_SCRAPE_DISCOVERY: …, 12s ago`), or ''. */
  discoveryError: string;
}

/**
 * The targets grouped by job (in name order), each job's rows by URL then profile, for the Targets
 * page; a job whose discovery fails is listed even with no targets.
 */
export function buildTargetJobs(
  targets: readonly ScrapeTargetInfo[],
  nowMs: number,
  discoveryErrors: readonly DiscoveryErrorInfo[] = [],
): TargetJob[] {
  const byJob = new Map<string, TargetRow[]>();
  const errorOf = new Map<string, string>();
  for (const e of discoveryErrors) {
    const atMs = Date.parse(e.lastErrorTime);
    const when = Number.isFinite(atMs) ? `, ${formatAgo(nowMs - atMs)} ago` : '';
    errorOf.set(e.scrapePool, `${e.lastError}${when}`);
    if (!byJob.has(e.scrapePool)) byJob.set(e.scrapePool, []);
  }
  for (const t of targets) {
    const scrapedMs = Date.parse(t.lastScrape);
    const never = !Number.isFinite(scrapedMs) || scrapedMs <= 0;
    const row: TargetRow = {
      key: `${t.scrapeUrl} ${JSON.stringify(t.labels)}`,
      url: t.scrapeUrl,
      profile: t.labels.__name__ ?? '',
      health: t.health,
      labels: Object.entries(t.labels)
        .filter(([k]) => k !== '__name__' && k !== 'job' && k !== 'instance')
        .map(([k, v]) => `${k}=${v}`),
      lastScrape: never ? 'never' : `${formatAgo(nowMs - scrapedMs)} ago`,
      duration: never ? '' : formatSeconds(t.lastScrapeDuration),
      error: t.lastError,
    };
    const rows = byJob.get(t.scrapePool) ?? [];
    rows.push(row);
    byJob.set(t.scrapePool, rows);
  }
  return [...byJob.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([job, rows]) => ({
      job,
      up: rows.filter((r) => r.health === 'up').length,
      total: rows.length,
      rows: rows.sort((a, b) => a.url.localeCompare(b.url) || a.profile.localeCompare(b.profile)),
      discoveryError: errorOf.get(job) ?? '',
    }));
}

function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function formatSeconds(s: number): string {
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`;
}
