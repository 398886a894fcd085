import { isKilnError, type KilnError } from '@kiln/model';
import { throwIfRejected } from '../ingest/ingest-service.js';
import type { SplitOptions } from '../ingest/pprof-split.js';
import type { ProfileInput, WriteResult } from '../storage/profile-store.js';
import { DeltaTracker } from './delta.js';
import { SCRAPE_ERRORS, type ScrapeErrorCode } from './errors.js';
import { fetchProfile } from './fetch-profile.js';
import { createScrapeClient, type ScrapeClient } from './scrape-client.js';
import { KubernetesDiscovery } from './kubernetes-sd.js';
import { CUMULATIVE_SAMPLE_TYPES, type ScrapeConfig } from './scrape-config.js';
import {
  buildTargets,
  staticTargetGroups,
  type DroppedTarget,
  type ScrapeTarget,
  type TargetGroup,
} from './targets.js';

/** The part of ingest a scraper needs: IngestService is one. */
export interface ScrapeWriter {
  decodePprof(bytes: Uint8Array, options: SplitOptions): ProfileInput[];
  ingestProfiles(tenant: string, inputs: readonly ProfileInput[], source: string, bytes: number): Promise<WriteResult>;
}

/** What scraping reports; main.ts turns it into metrics and log lines. */
export interface ScrapeObserver {
  scraped(job: string, profile: string, result: string, seconds: number): void;
  discoveryFailed(job: string, err: KilnError): void;
}

export interface ScrapeManagerOptions {
  jobs: readonly ScrapeConfig[];
  writer: ScrapeWriter;
  tenant: string;
  /** Targets scraped at most, over all jobs; the rest are listed down with ERR_SCRAPE_TARGET_LIMIT. */
  maxTargets: number;
  /** Scrapes in flight at once; the others wait their turn (the wait counts in their duration). */
  maxConcurrentScrapes: number;
  maxBodyBytes: number;
  /** Wait before re-listing after a Kubernetes list or watch failed. */
  discoveryRetryMs: number;
  observer?: ScrapeObserver;
}

export type TargetHealthState = 'up' | 'down' | 'unknown';

export interface TargetHealth {
  health: TargetHealthState;
  /** Unix ms of the last scrape's start; null before the first. */
  lastScrapeMs: number | null;
  lastScrapeDurationMs: number;
  /** `CODE: message` of the last scrape, '' when it succeeded. */
  lastError: string;
}

export type TargetStatus = ScrapeTarget & TargetHealth;

/** A job whose service discovery is failing now (cleared by its next successful list). */
export interface DiscoveryFailure {
  job: string;
  /** `CODE: message` of the last failure. */
  error: string;
  /** Unix ms of the last failure. */
  atMs: number;
}

/**
 * Runs scrape_configs: discovery per job (static targets, Kubernetes pods) -> targets (see
 * buildTargets) -> one loop per target that fetches the profile every interval and writes it
 * through ingest with the target's labels, like any pushed pprof. Loops start at an offset
 * derived from the target (Prometheus's spreading), so targets of one job do not all fire at
 * once, and keep that phase. A failing target only changes its own health.
 */
export class ScrapeManager {
  private readonly loops = new Map<string, TargetLoop>();
  /** Targets over maxTargets: listed, not scraped. */
  private overLimit: ScrapeTarget[] = [];
  private readonly groupsByJob = new Map<string, Map<string, TargetGroup[]>>();
  private readonly droppedByJob = new Map<string, DroppedTarget[]>();
  private readonly discoveries: KubernetesDiscovery[] = [];
  /** By job, index of its kubernetes_sd_configs and namespace: one namespace's list working does not clear another's failure. */
  private readonly discoveryFailures = new Map<string, DiscoveryFailure>();
  private readonly deltas = new DeltaTracker();
  private readonly semaphore: Semaphore;
  private readonly abort = new AbortController();
  private stopped = false;

  /** Each job's authentication and TLS, by job name. */
  private readonly clients: Map<string, ScrapeClient>;

  constructor(private readonly options: ScrapeManagerOptions) {
    this.semaphore = new Semaphore(Math.max(1, options.maxConcurrentScrapes));
    this.clients = new Map(options.jobs.map((job) => [job.jobName, createScrapeClient(job)]));
  }

  /** Starts discovery and scraping; throws ERR_SCRAPE_DISCOVERY when a Kubernetes job has no cluster. */
  async start(): Promise<void> {
    for (const job of this.options.jobs) {
      this.groupsByJob.set(job.jobName, new Map([['static', staticTargetGroups(job)]]));
    }
    this.reconcile();
    for (const job of this.options.jobs) {
      for (const [i, sd] of job.kubernetesSdConfigs.entries()) {
        const discovery = new KubernetesDiscovery(sd, {
          retryMs: this.options.discoveryRetryMs,
          settleMs: 100,
          onUpdate: (groups) => {
            this.groupsByJob.get(job.jobName)!.set(`kubernetes/${i}`, groups);
            this.reconcile();
          },
          onError: (err, namespace) => {
            this.discoveryFailures.set(failureKey(job.jobName, i, namespace), {
              job: job.jobName,
              error: `${err.code}: ${err.message}`,
              atMs: Date.now(),
            });
            this.options.observer?.discoveryFailed(job.jobName, err);
          },
          onListed: (namespace) => this.discoveryFailures.delete(failureKey(job.jobName, i, namespace)),
        });
        this.discoveries.push(discovery);
        await discovery.start();
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.all(this.discoveries.map((d) => d.stop()));
    await Promise.all([...this.loops.values()].map((l) => l.stop()));
    this.loops.clear();
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  /**
   * Every target with its health, in job then target order, the targets relabelling dropped, and
   * the jobs whose discovery is failing (their targets are the last ones discovered).
   */
  listTargets(): { active: TargetStatus[]; dropped: DroppedTarget[]; discoveryFailures: DiscoveryFailure[] } {
    const active: TargetStatus[] = [...this.loops.values()].map((l) => ({ ...l.target, ...l.health }));
    for (const t of this.overLimit) {
      active.push({
        ...t,
        health: 'down',
        lastScrapeMs: null,
        lastScrapeDurationMs: 0,
        lastError: `ERR_SCRAPE_TARGET_LIMIT: more than scrape_max_targets (${this.options.maxTargets}) targets; this one is not scraped`,
      });
    }
    return {
      active,
      dropped: [...this.droppedByJob.values()].flat(),
      discoveryFailures: [...this.discoveryFailures.values()],
    };
  }

  /** Starts loops for new targets and stops those of vanished ones. */
  private reconcile(): void {
    if (this.stopped) return;
    const wanted: ScrapeTarget[] = [];
    for (const job of this.options.jobs) {
      const groups = [...this.groupsByJob.get(job.jobName)!.values()].flat();
      const { active, dropped } = buildTargets(job, groups);
      active.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      wanted.push(...active);
      this.droppedByJob.set(job.jobName, dropped);
    }
    const scraped = wanted.slice(0, this.options.maxTargets);
    this.overLimit = wanted.slice(this.options.maxTargets);
    const keep = new Set(scraped.map((t) => t.key));
    for (const [key, loop] of this.loops) {
      if (keep.has(key)) continue;
      void loop.stop();
      this.loops.delete(key);
      this.deltas.forget(key);
    }
    for (const target of scraped) {
      if (this.loops.has(target.key)) continue;
      const loop = new TargetLoop(
        target,
        (t) => this.scrape(t),
        (code, seconds) => this.options.observer?.scraped(target.job, target.profile, resultOf(code), seconds),
      );
      this.loops.set(target.key, loop);
      loop.start(scrapeOffsetMs(target.key, target.intervalMs));
    }
  }

  /** One scrape of one target: fetch, decode and split as ingest does, delta, write. */
  private async scrape(target: ScrapeTarget): Promise<void> {
    const release = await this.semaphore.acquire();
    try {
      const startedMs = Date.now();
      const client = this.clients.get(target.job)!;
      if (client.tlsError) throw client.tlsError;
      const bytes = await fetchProfile(target.url, {
        timeoutMs: target.timeoutMs,
        maxBodyBytes: this.options.maxBodyBytes,
        signal: this.abort.signal,
        authorization: client.authorizationHeader(),
        dispatcher: client.dispatcher,
      });
      if (this.stopped) return;
      let inputs = this.options.writer.decodePprof(bytes, {
        labels: target.labels,
        metricName: target.profile,
        fallbackTimeMs: startedMs,
      });
      if (target.delta) inputs = this.deltas.apply(target.key, inputs, CUMULATIVE_SAMPLE_TYPES[target.profile]);
      const result = await this.options.writer.ingestProfiles(this.options.tenant, inputs, 'scrape', bytes.length);
      throwIfRejected(result);
    } finally {
      release();
    }
  }
}

/** One target's schedule and health. */
class TargetLoop {
  health: TargetHealth = { health: 'unknown', lastScrapeMs: null, lastScrapeDurationMs: 0, lastError: '' };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private nextAtMs = 0;

  constructor(
    readonly target: ScrapeTarget,
    private readonly scrape: (t: ScrapeTarget) => Promise<void>,
    /** The error code of a scrape ('' when it worked) and its seconds. */
    private readonly done: (code: string, seconds: number) => void,
  ) {}

  start(offsetMs: number): void {
    this.nextAtMs = Date.now() + offsetMs;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = Date.now();
    // Keep the phase: a scrape that overran skips the ticks it missed.
    while (this.nextAtMs < now - 5) this.nextAtMs += this.target.intervalMs;
    this.timer = setTimeout(() => {
      this.nextAtMs += this.target.intervalMs;
      this.running = this.run().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.nextAtMs - now);
  }

  private async run(): Promise<void> {
    const started = Date.now();
    const t0 = performance.now();
    let error = '';
    let code = '';
    try {
      await this.scrape(this.target);
    } catch (err) {
      code = isKilnError(err) ? err.code : 'ERR_INTERNAL';
      error = `${code}: ${(err as Error).message}`;
    }
    if (this.stopped) return;
    this.done(code, (performance.now() - t0) / 1000);
    this.health = {
      health: error === '' ? 'up' : 'down',
      lastScrapeMs: started,
      lastScrapeDurationMs: Math.round(performance.now() - t0),
      lastError: error,
    };
  }
}

/** The `result` label of a scrape: `ok`, or the error's reason (`timeout`, `not_pprof`, ...). */
function failureKey(job: string, sdIndex: number, namespace: string | null): string {
  return JSON.stringify([job, sdIndex, namespace]);
}

function resultOf(code: string): string {
  if (code === '') return 'ok';
  if (code in SCRAPE_ERRORS) return SCRAPE_ERRORS[code as ScrapeErrorCode].reason;
  return code.replace(/^ERR_/, '').toLowerCase();
}

/** FNV-1a of the target key, spread over the interval: the same target always gets the same phase. */
export function scrapeOffsetMs(key: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % intervalMs;
}

/** At most `size` holders at once; others queue in order. */
class Semaphore {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.free++;
    };
  }
}
