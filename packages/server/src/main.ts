import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { parseListen, type ServerConfig } from './config.js';
import { buildHttpServer, closeHttpServer } from './http/server.js';
import { registerIngestRoutes } from './http/ingest-routes.js';
import { registerUiRoutes } from './http/ui-routes.js';
import { registerConnectServices } from './http/connect-services.js';
import { registerTargetsRoutes } from './http/targets-routes.js';
import { IngestService } from './ingest/ingest-service.js';
import { TenantRateLimiter } from './ingest/rate-limit.js';
import { createMetrics } from './metrics.js';
import { QueryService } from './query/query-service.js';
import { ScrapeManager } from './scrape/scrape-manager.js';
import { startSelfProfiling, type SelfProfiler } from './self-profiling.js';
import { openEmbeddedStore } from './storage/embedded-store.js';
import type { ProfileStore } from './storage/profile-store.js';

export interface RunningServer {
  app: FastifyInstance;
  store: ProfileStore;
  /** The address actually bound (port 0 picks a free one). */
  url: string;
  /** Stops taking requests, finishes those in flight, flushes self-profiling and closes the store. */
  close(): Promise<void>;
}

/**
 * The one place that wires the server: store -> ingest and query services -> HTTP routes,
 * plus self-profiling. `kiln server` (and `npm start`) call this.
 */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const store = await openEmbeddedStore({
    dataDir: config.dataDir,
    limits: {
      maxLabelsPerSeries: config.maxLabelsPerSeries,
      maxLabelNameLength: config.maxLabelNameLength,
      maxLabelValueLength: config.maxLabelValueLength,
      maxSeriesPerTenant: config.maxSeriesPerTenant,
    },
    retention: { retentionMs: config.retentionDays.map((d) => d * 86_400_000) },
    memoryLimitMb: config.storageMemoryLimitMb,
  });
  let ready = false;
  const metrics = createMetrics(() => directoryBytes(config.dataDir));
  const ingest = new IngestService(store, {
    decodeLimits: { maxDecompressedBytes: config.maxDecompressedBytes, maxSamples: config.maxSamplesPerProfile },
    rateLimiter: new TenantRateLimiter(config.ingestRateBytesPerSecond, config.ingestBurstBytes),
    observer: {
      written(tenant, source, profiles, bytes, seconds) {
        metrics.ingestedProfiles.inc({ tenant, source }, profiles);
        metrics.ingestedBytes.inc({ tenant, source }, bytes);
        metrics.ingestSeconds.observe({ source }, seconds);
        metrics.storeWrites.inc();
      },
      rejected(tenant, reason, count) {
        metrics.rejectedProfiles.inc({ tenant, reason }, count);
      },
    },
  });
  const query = new QueryService(store, {
    maxFlameGraphNodes: config.maxFlameGraphNodes,
    defaultFlameGraphNodes: config.defaultFlameGraphNodes,
    maxSeriesPoints: 11_000,
  });
  const scrape =
    config.scrapeConfigs.length === 0
      ? null
      : new ScrapeManager({
          jobs: config.scrapeConfigs,
          writer: ingest,
          tenant: config.defaultTenant,
          maxTargets: config.scrapeMaxTargets,
          maxConcurrentScrapes: config.scrapeMaxConcurrent,
          maxBodyBytes: config.scrapeMaxBodyBytes,
          discoveryRetryMs: config.scrapeDiscoveryRetryMs,
          observer: scrapeObserver(metrics, (msg, fields) => app.log.warn(fields, msg)),
        });
  const app = await buildHttpServer({
    query,
    ingest,
    metrics,
    isReady: () => ready,
    defaultTenant: config.defaultTenant,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    logLevel: config.logLevel,
    plugins: [
      registerIngestRoutes,
      registerConnectServices,
      (a) => registerTargetsRoutes(a, scrape),
      (a) => registerUiRoutes(a, uiDirOf(config)),
    ],
  });
  const { host, port } = parseListen(config.listen);
  let url: string;
  try {
    url = await app.listen({ host, port });
  } catch (err) {
    await store.close();
    throw err;
  }
  if (scrape) {
    try {
      await scrape.start();
    } catch (err) {
      await scrape.stop();
      await app.close();
      await store.close();
      throw err;
    }
  }
  let self: SelfProfiler | null = null;
  if (config.selfProfiling) {
    self = startSelfProfiling(ingest, config.defaultTenant, (msg, err) => app.log.warn({ err }, msg));
  }
  ready = true;
  app.log.info({ url, dataDir: config.dataDir, selfProfiling: config.selfProfiling }, 'kiln server ready');
  let closing: Promise<void> | null = null;
  return {
    app,
    store,
    url,
    close() {
      closing ??= (async () => {
        ready = false;
        await closeHttpServer(app, config.gracefulShutdownTimeoutMs);
        if (scrape) await scrape.stop();
        if (self) await self.stop();
        await store.close();
        app.log.info('kiln server stopped');
      })();
      return closing;
    },
  };
}

/** Scrape results as `kiln_scrapes_total{job,profile,result}` and durations; discovery failures as warnings. */
function scrapeObserver(
  metrics: ReturnType<typeof createMetrics>,
  warn: (msg: string, fields: object) => void,
): ConstructorParameters<typeof ScrapeManager>[0]['observer'] {
  const scrapes = new Counter({
    name: 'kiln_scrapes_total',
    help: 'Scrapes of pull-mode targets, by job, profile and result (`ok` or the error reason).',
    labelNames: ['job', 'profile', 'result'],
    registers: [metrics.registry],
  });
  const seconds = new Histogram({
    name: 'kiln_scrape_seconds',
    help: 'Duration of one scrape: waiting for a slot, fetching, decoding and writing.',
    labelNames: ['job'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [metrics.registry],
  });
  return {
    scraped(job, profile, result, s) {
      scrapes.inc({ job, profile, result });
      seconds.observe({ job }, s);
    },
    discoveryFailed(job, err) {
      warn('kubernetes discovery failed', { job, code: err.code, err: err.message });
    },
  };
}

/** `ui_dir`, or packages/ui/dist beside this package (main.ts runs from src/ or dist/). */
function uiDirOf(config: ServerConfig): string {
  return config.uiDir !== '' ? config.uiDir : fileURLToPath(new URL('../../ui/dist', import.meta.url));
}

function directoryBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      try {
        const st = statSync(path);
        if (st.isDirectory()) walk(path);
        else total += st.size;
      } catch {
        // A partition deleted by retention while we walk.
      }
    }
  };
  walk(dir);
  return total;
}
