import type { FastifyInstance } from 'fastify';
import { KilnError } from '@kiln/model';
import type { DiscoveryFailure, TargetStatus } from '../scrape/scrape-manager.js';
import type { DroppedTarget } from '../scrape/targets.js';
import { sendError } from './server.js';

/** What the targets route reads; ScrapeManager is one (main.ts passes null without scrape_configs). */
export interface TargetSource {
  listTargets(): { active: TargetStatus[]; dropped: DroppedTarget[]; discoveryFailures: DiscoveryFailure[] };
}

/** One active target as Prometheus's `/api/v1/targets` shows it, plus the profile type. */
export interface ActiveTargetJson {
  discoveredLabels: Record<string, string>;
  /** The series labels, with `__name__` the profile (`process_cpu`, `memory`, ...). */
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  /** RFC 3339; `0001-01-01T00:00:00Z` before the first scrape, as Prometheus writes it. */
  lastScrape: string;
  /** Seconds. */
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

/** Kiln's addition to Prometheus's shape: a job whose service discovery fails now. */
export interface DiscoveryErrorJson {
  scrapePool: string;
  /** `ERR_SCRAPE_DISCOVERY: …` of the last failure; discovery keeps retrying. */
  lastError: string;
  /** RFC 3339. */
  lastErrorTime: string;
}

const STATES = ['active', 'dropped', 'any'] as const;

/**
 * `GET /api/v1/targets[?state=active|dropped|any]`: the scrape targets in the shape of
 * Prometheus's targets API (what Grafana Alloy's and Prometheus's UIs read), so tools made for
 * it work: `{status, data: {activeTargets, droppedTargets, discoveryErrors}}`, where
 * `discoveryErrors` (Kiln's own; other tools ignore it) lists the jobs whose Kubernetes discovery
 * fails now, e.g. for want of RBAC, so the Targets page can say why targets are missing.
 */
export function registerTargetsRoutes(app: FastifyInstance, source: TargetSource | null): void {
  app.get('/api/v1/targets', async (req, reply) => {
    const state = (req.query as Record<string, string | undefined>).state ?? 'any';
    if (!(STATES as readonly string[]).includes(state)) {
      return sendError(
        reply,
        new KilnError('ERR_HTTP_BAD_REQUEST', `state \`${state}\` is not active, dropped or any`),
      );
    }
    const { active, dropped, discoveryFailures } = source?.listTargets() ?? {
      active: [],
      dropped: [],
      discoveryFailures: [],
    };
    return reply.send({
      status: 'success',
      data: {
        activeTargets: state === 'dropped' ? [] : active.map(toJson),
        droppedTargets:
          state === 'active' ? [] : dropped.map((d) => ({ discoveredLabels: d.discoveredLabels, scrapePool: d.job })),
        discoveryErrors: discoveryFailures.map((f): DiscoveryErrorJson => ({
          scrapePool: f.job,
          lastError: f.error,
          lastErrorTime: new Date(f.atMs).toISOString(),
        })),
      },
    });
  });
}

function toJson(t: TargetStatus): ActiveTargetJson {
  return {
    discoveredLabels: t.discoveredLabels,
    labels: { __name__: t.profile, ...t.labels },
    scrapePool: t.job,
    scrapeUrl: t.url,
    globalUrl: t.url,
    lastError: t.lastError,
    lastScrape: t.lastScrapeMs === null ? '0001-01-01T00:00:00Z' : new Date(t.lastScrapeMs).toISOString(),
    lastScrapeDuration: t.lastScrapeDurationMs / 1000,
    health: t.health,
    scrapeInterval: duration(t.intervalMs),
    scrapeTimeout: duration(t.timeoutMs),
  };
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
