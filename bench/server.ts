import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { create, toBinary } from '@bufbuild/protobuf';
import { PushRequestSchema, SelectMergeStacktracesRequestSchema, toLabelPairs } from '@kiln/api';
import { defaultConfig, startServer, type ServerConfig } from '@kiln/server';
import { IngestService, throwIfRejected } from '../packages/server/src/ingest/ingest-service.js';
import { parseIngestParams, seriesLabelsFor } from '../packages/server/src/ingest/legacy-params.js';
import { TenantRateLimiter } from '../packages/server/src/ingest/rate-limit.js';
import { QueryService, type Selection } from '../packages/server/src/query/query-service.js';
import { openEmbeddedStore, type EmbeddedStoreOptions } from '../packages/server/src/storage/embedded-store.js';
import type { ProfileInput } from '../packages/server/src/storage/profile-store.js';
import { table } from './harness.js';
import { mulberry32 } from './synthetic-profile.js';
import { FLEET_PODS, FLEET_SERVICES, FLEET_TYPES, makeFleet, makeFleetLibrary } from './synthetic-fleet.js';

/**
 * The server end to end on loopback, each figure beside the same work done in-process without
 * HTTP, in the same run:
 * - ingest: the store's own rate (parse /ingest's parameters, decode + split the pprof, write,
 *   with the same number of writes in flight) against N keep-alive clients POSTing the same
 *   gzipped pprof uploads to /ingest, and to Connect's Push, of a real server;
 * - query: the storage bench's flame graph queries through Connect and /pyroscope/render
 *   against QueryService and store.selectMergeTree on the server's own store.
 *
 * The clients run in a worker thread so that their work (fetch, undici) does not sit on the
 * server's event loop, as it would not in a deployment. BENCH_SERVER_LONG=1 runs longer
 * ingest rounds, more query runs and the query data set at the storage bench's density.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const CPU = FLEET_TYPES[0];

interface Plan {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  /** Spacing of uploads per series in the query data set outside the last hour. */
  sparseMs: number;
  serviceRuns: number;
  fleetRuns: number;
}

function plan(): Plan {
  if (process.env['BENCH_SERVER_LONG'] === '1') {
    return { rounds: 3, warmupMs: 5_000, measureMs: 20_000, sparseMs: 30 * 60_000, serviceRuns: 15, fleetRuns: 15 };
  }
  return { rounds: 3, warmupMs: 1_500, measureMs: 4_000, sparseMs: 2 * HOUR, serviceRuns: 9, fleetRuns: 5 };
}

function serverConfig(dataDir: string): ServerConfig {
  // The default per-tenant ingest rate (16 MiB/s) would cap one tenant at ~200 of these
  // uploads per second and measure the limiter, not the server.
  return {
    ...defaultConfig(),
    listen: '127.0.0.1:0',
    dataDir,
    selfProfiling: false,
    logLevel: 'silent',
    ingestRateBytesPerSecond: 0,
  };
}

/** The store as main.ts opens it (background compaction included). */
function storeOptions(config: ServerConfig): EmbeddedStoreOptions {
  return {
    dataDir: config.dataDir,
    limits: {
      maxLabelsPerSeries: config.maxLabelsPerSeries,
      maxLabelNameLength: config.maxLabelNameLength,
      maxLabelValueLength: config.maxLabelValueLength,
      maxSeriesPerTenant: config.maxSeriesPerTenant,
    },
    retention: { retentionMs: config.retentionDays.map((d) => d * DAY) },
    memoryLimitMb: config.storageMemoryLimitMb,
  };
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

const progress = (line: string): boolean => process.stderr.write(`  server bench: ${line}\n`);

// ---- ingest ----

/** One upload as a client sends it: the /ingest path (without `from`) and the Push body. */
interface Upload {
  name: string;
  gz: Uint8Array;
  push: Uint8Array;
}

/**
 * Uploads in the order clients send them: every series of the fleet in turn (20 services × 10
 * pods × 2 types), drawing from the library's variants.
 */
function makeUploads(library: Uint8Array[][][], variants: number): Upload[] {
  const uploads: Upload[] = [];
  for (let v = 0; v < variants; v++) {
    for (let type = 0; type < 2; type++) {
      for (let pod = 0; pod < FLEET_PODS; pod++) {
        for (let s = 0; s < FLEET_SERVICES; s++) {
          const gz = library[s]![type]![(v + pod) % library[s]![type]!.length]!;
          const labels = { service_name: `svc${s}`, pod: `svc${s}-pod${pod}`, namespace: 'prod' };
          const push = toBinary(
            PushRequestSchema,
            create(PushRequestSchema, {
              series: [
                {
                  labels: toLabelPairs({ __name__: type === 0 ? 'process_cpu' : 'memory', ...labels }),
                  samples: [{ rawProfile: gz }],
                },
              ],
            }),
          );
          uploads.push({ name: `svc${s}{pod=${labels.pod},namespace=prod}`, gz, push });
        }
      }
    }
  }
  return uploads;
}

interface LoadResult {
  /** Requests completed inside the measured window. */
  requests: number;
  bytes: number;
  latenciesMs: number[];
  errors: number;
  firstError?: string;
  /** Fraction of the window the server's (this) thread was busy. */
  mainThreadBusy: number;
  /** CPU time of the server's (this) thread in the window. */
  mainThreadCpuMs: number;
  /** Process CPU (all threads: JS, DuckDB, the client worker) per second of the window. */
  cpuCores: number;
  /** Fraction of the window the client worker's thread was busy (HTTP only). */
  clientBusy?: number;
}

/**
 * The load client, run in a worker (plain JavaScript: in Node 20 a worker does not inherit
 * tsx's loader). `concurrency` loops each POST one upload at a time over keep-alive fetch;
 * requests that complete inside the window [warmup, warmup + measure) are counted. It posts
 * 'window-start' and 'window-end' so the server side can sample its own busy time.
 */
const CLIENT_SOURCE = `
const { parentPort } = require('node:worker_threads');
let sets = {};
parentPort.on('message', async (m) => {
  if (m.type === 'sets') { sets = m.sets; return; }
  const { paths, bodies, headers, addFrom } = sets[m.set];
  const start = performance.now();
  const windowStart = start + m.warmupMs;
  const windowEnd = windowStart + m.measureMs;
  const result = { requests: 0, bytes: 0, latenciesMs: [], errors: 0, firstError: undefined, clientBusy: 0 };
  let elu;
  setTimeout(() => {
    elu = performance.eventLoopUtilization();
    parentPort.postMessage({ type: 'window-start' });
  }, m.warmupMs);
  setTimeout(() => {
    result.clientBusy = performance.eventLoopUtilization(elu).utilization;
    parentPort.postMessage({ type: 'window-end' });
  }, m.warmupMs + m.measureMs);
  let next = 0;
  const loop = async () => {
    while (performance.now() < windowEnd) {
      const i = next++ % paths.length;
      const url = m.baseUrl + paths[i] + (addFrom ? '&from=' + Math.floor(Date.now() / 1000) : '');
      const started = performance.now();
      try {
        const res = await fetch(url, { method: 'POST', headers, body: bodies[i] });
        const body = await res.arrayBuffer();
        if (!res.ok) {
          result.errors++;
          result.firstError ??= res.status + ' ' + Buffer.from(body).toString('utf8', 0, 300);
          continue;
        }
      } catch (err) {
        result.errors++;
        result.firstError ??= String(err && err.cause ? err.cause : err);
        continue;
      }
      const ended = performance.now();
      if (ended >= windowStart && ended < windowEnd) {
        result.requests++;
        result.bytes += bodies[i].length;
        result.latenciesMs.push(ended - started);
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, loop));
  parentPort.postMessage({ type: 'done', result });
});
`;

type ClientSet = 'ingest' | 'push';

class LoadClient {
  private readonly worker = new Worker(CLIENT_SOURCE, { eval: true, execArgv: [] });

  constructor(uploads: readonly Upload[]) {
    const ingest = {
      paths: uploads.map((u) => `/ingest?name=${encodeURIComponent(u.name)}&format=pprof`),
      bodies: uploads.map((u) => u.gz),
      headers: { 'content-type': 'application/octet-stream' },
      addFrom: true,
    };
    const push = {
      paths: uploads.map(() => '/push.v1.PusherService/Push'),
      bodies: uploads.map((u) => u.push),
      headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
      addFrom: false,
    };
    this.worker.postMessage({ type: 'sets', sets: { ingest, push } });
  }

  run(set: ClientSet, baseUrl: string, concurrency: number, warmupMs: number, measureMs: number): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const meter = new BusyMeter();
      const onMessage = (m: {
        type: string;
        result?: Omit<LoadResult, 'mainThreadBusy' | 'mainThreadCpuMs' | 'cpuCores'>;
      }): void => {
        if (m.type === 'window-start') meter.start();
        else if (m.type === 'window-end') meter.stop();
        else if (m.type === 'done') {
          this.worker.off('message', onMessage);
          resolve({ ...m.result!, ...meter.read() });
        }
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
      this.worker.postMessage({ type: 'run', set, baseUrl, concurrency, warmupMs, measureMs });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * CPU seconds of this (the main) thread from /proc, NaN elsewhere: event-loop utilization
 * also counts time the thread was ready but not running, which on a shared machine includes
 * time other threads (the client worker, DuckDB, other processes) took its core.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Event-loop utilization and CPU of this thread, and process CPU, over a window. */
class BusyMeter {
  private elu = performance.eventLoopUtilization();
  private cpu = process.cpuUsage();
  private threadCpuMs = mainThreadCpuMs();
  private atMs = performance.now();
  private result = { mainThreadBusy: NaN, mainThreadCpuMs: NaN, cpuCores: NaN };

  start(): void {
    this.elu = performance.eventLoopUtilization();
    this.cpu = process.cpuUsage();
    this.threadCpuMs = mainThreadCpuMs();
    this.atMs = performance.now();
  }

  stop(): void {
    const cpu = process.cpuUsage(this.cpu);
    this.result = {
      mainThreadBusy: performance.eventLoopUtilization(this.elu).utilization,
      mainThreadCpuMs: mainThreadCpuMs() - this.threadCpuMs,
      cpuCores: (cpu.user + cpu.system) / 1000 / (performance.now() - this.atMs),
    };
  }

  read(): { mainThreadBusy: number; mainThreadCpuMs: number; cpuCores: number } {
    return this.result;
  }
}

/** The ingest service of a server (main.ts's options, without metrics) over its own store. */
async function openIngest(dataDir: string): Promise<{ ingest: IngestService; close: () => Promise<void> }> {
  const config = serverConfig(dataDir);
  const store = await openEmbeddedStore(storeOptions(config));
  const ingest = new IngestService(store, {
    decodeLimits: { maxDecompressedBytes: config.maxDecompressedBytes, maxSamples: config.maxSamplesPerProfile },
    rateLimiter: new TenantRateLimiter(config.ingestRateBytesPerSecond, config.ingestBurstBytes),
  });
  return { ingest, close: () => store.close() };
}

/** What the /ingest route does with a pprof upload, minus HTTP: parameters, labels, rate check, decode + split, write. */
async function ingestDirect(ingest: IngestService, upload: Upload, tenant: string): Promise<void> {
  const nowMs = Date.now();
  const query = { name: upload.name, format: 'pprof', from: String(Math.floor(nowMs / 1000)) };
  const params = parseIngestParams(query, 'application/octet-stream', nowMs);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(seriesLabelsFor(params.name, { spyName: params.spyName, body: 'pprof' }))) {
    if (!k.startsWith('__')) labels[k] = v;
  }
  ingest.admit(tenant, upload.gz.length);
  const inputs = ingest.decodePprof(upload.gz, { labels, fallbackTimeMs: params.fromMs });
  throwIfRejected(await ingest.ingestProfiles(tenant, inputs, 'ingest', upload.gz.length));
}

/**
 * A data directory that has taken every upload once, copied for each measurement: a fresh
 * store spends its first seconds interning the fleet's 80,000 distinct stacks (a third of the
 * steady rate), which a running server did long ago.
 */
async function seedDataDir(uploads: readonly Upload[]): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-bench-seed-'));
  const { ingest, close } = await openIngest(dataDir);
  const tenant = defaultConfig().defaultTenant;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < uploads.length) await ingestDirect(ingest, uploads[next++]!, tenant);
  };
  await Promise.all(Array.from({ length: 8 }, loop));
  await close();
  return dataDir;
}

function copyOf(seedDir: string, kind: string): string {
  const dataDir = mkdtempSync(join(tmpdir(), `kiln-bench-${kind}-`));
  cpSync(seedDir, dataDir, { recursive: true });
  return dataDir;
}

/**
 * The store's own rate: ingestDirect with `concurrency` uploads in flight, as the HTTP clients
 * have. Decoding is synchronous, so uploads decode one after another while earlier ones are
 * being committed, as on the server.
 */
async function runDirect(
  uploads: readonly Upload[],
  seedDir: string,
  concurrency: number,
  warmupMs: number,
  measureMs: number,
): Promise<LoadResult> {
  const dataDir = copyOf(seedDir, 'direct');
  const { ingest, close } = await openIngest(dataDir);
  const tenant = defaultConfig().defaultTenant;
  const result: LoadResult = {
    requests: 0,
    bytes: 0,
    latenciesMs: [],
    errors: 0,
    mainThreadBusy: 0,
    mainThreadCpuMs: 0,
    cpuCores: 0,
  };
  const meter = new BusyMeter();
  const windowStart = performance.now() + warmupMs;
  const windowEnd = windowStart + measureMs;
  const startTimer = setTimeout(() => meter.start(), warmupMs);
  const stopTimer = setTimeout(() => meter.stop(), warmupMs + measureMs);
  let next = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < windowEnd) {
      const upload = uploads[next++ % uploads.length]!;
      const started = performance.now();
      try {
        await ingestDirect(ingest, upload, tenant);
      } catch (err) {
        result.errors++;
        result.firstError ??= String(err);
        continue;
      }
      const ended = performance.now();
      if (ended >= windowStart && ended < windowEnd) {
        result.requests++;
        result.bytes += upload.gz.length;
        result.latenciesMs.push(ended - started);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  clearTimeout(startTimer);
  clearTimeout(stopTimer);
  await close();
  rmSync(dataDir, { recursive: true, force: true });
  return { ...result, ...meter.read() };
}

async function runHttp(
  client: LoadClient,
  seedDir: string,
  set: ClientSet,
  concurrency: number,
  warmupMs: number,
  measureMs: number,
): Promise<LoadResult> {
  const dataDir = copyOf(seedDir, 'http');
  const server = await startServer(serverConfig(dataDir));
  try {
    return await client.run(set, server.url, concurrency, warmupMs, measureMs);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface IngestCase {
  name: string;
  path: 'store' | ClientSet;
  concurrency: number;
}

const INGEST_CASES: IngestCase[] = [
  { name: 'store: parse + decode + split + write, 4 in flight', path: 'store', concurrency: 4 },
  { name: 'store: parse + decode + split + write, 8 in flight', path: 'store', concurrency: 8 },
  { name: 'HTTP POST /ingest (pprof), 4 clients', path: 'ingest', concurrency: 4 },
  { name: 'HTTP POST /ingest (pprof), 8 clients', path: 'ingest', concurrency: 8 },
  { name: 'Connect Push (binary), 8 clients', path: 'push', concurrency: 8 },
];

async function benchIngest(library: Uint8Array[][][], p: Plan): Promise<string> {
  const uploads = makeUploads(library, 3);
  progress('seeding a data directory with every upload');
  const seedDir = await seedDataDir(uploads);
  const client = new LoadClient(uploads);
  const results = INGEST_CASES.map(() => [] as LoadResult[]);
  try {
    // Rounds alternate the cases, so drift in the machine's load touches each of them alike.
    for (let round = 0; round < p.rounds; round++) {
      for (const [i, c] of INGEST_CASES.entries()) {
        progress(`ingest round ${round + 1}/${p.rounds}: ${c.name}`);
        const r =
          c.path === 'store'
            ? await runDirect(uploads, seedDir, c.concurrency, p.warmupMs, p.measureMs)
            : await runHttp(client, seedDir, c.path, c.concurrency, p.warmupMs, p.measureMs);
        if (r.errors > 0) progress(`${r.errors} failed requests, first: ${r.firstError}`);
        results[i]!.push(r);
      }
    }
  } finally {
    await client.close();
    rmSync(seedDir, { recursive: true, force: true });
  }
  const rateOf = (r: LoadResult): number => r.requests / (p.measureMs / 1000);
  const cpuPerProfile = (r: LoadResult): number => r.mainThreadCpuMs / r.requests;
  const storeResults = (concurrency: number): LoadResult[] =>
    results[INGEST_CASES.findIndex((c) => c.path === 'store' && c.concurrency === concurrency)]!;
  const gzMean = uploads.reduce((a, u) => a + u.gz.length, 0) / uploads.length;
  const rows = INGEST_CASES.map((c, i) => {
    const rs = results[i]!;
    const rate = median(rs.map(rateOf));
    const latencies = rs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const errors = rs.reduce((a, r) => a + r.errors, 0);
    const cpu = median(rs.map(cpuPerProfile));
    const store = storeResults(c.concurrency);
    const ratio = c.path === 'store' ? '' : `**${(rate / median(store.map(rateOf))).toFixed(2)}**`;
    const cpuRatio = c.path === 'store' ? '' : (median(store.map(cpuPerProfile)) / cpu).toFixed(2);
    return [
      c.name,
      `${Math.round(rate)}${rs.length > 1 ? ` (${Math.round(Math.min(...rs.map(rateOf)))}–${Math.round(Math.max(...rs.map(rateOf)))})` : ''}`,
      (median(rs.map((r) => r.bytes)) / (p.measureMs / 1000) / 1e6).toFixed(1),
      percentile(latencies, 0.5).toFixed(1),
      percentile(latencies, 0.99).toFixed(1),
      ratio,
      cpu.toFixed(2),
      cpuRatio,
      `${Math.round(100 * median(rs.map((r) => r.mainThreadBusy)))} %`,
      c.path === 'store' ? '' : `${Math.round(100 * median(rs.map((r) => r.clientBusy ?? NaN)))} %`,
      median(rs.map((r) => r.cpuCores)).toFixed(2),
      errors,
    ];
  });
  return [
    `Uploads: ${uploads.length} (400 series × 3) of the storage bench's 240 gzipped pprof, ${(gzMean / 1000).toFixed(1)} KB ` +
      `on average, one profile each. ${p.rounds} rounds of ${p.warmupMs / 1000} s warm-up + ${p.measureMs / 1000} s ` +
      `measured per case, each in its own copy of a data directory that has taken every upload once (the fleet's ` +
      `stacks are known, as on a running server); rates are the median round (range).`,
    '',
    table(
      [
        'ingest',
        'profiles/s (range)',
        'MB/s gz',
        'p50 ms',
        'p99 ms',
        'ratio to store, same in flight (target ≥ 0.70)',
        'server thread CPU ms / profile',
        'store / HTTP thread CPU',
        'server thread busy',
        'client thread busy',
        'process CPU, cores',
        'errors',
      ],
      rows,
    ),
  ].join('\n');
}

// ---- query ----

/**
 * The storage bench's query data set, CPU profiles only (the queries read nothing else):
 * svc0's 10 pods every `sparseMs` for 32 days and every 10 s in the last hour, the 19 other
 * services every `sparseMs` in the last 24 hours. Written straight into the store with a clock
 * that follows the data (rollups are compacted after every tick, as a running server's timer
 * would), from stack samples decoded once per library upload.
 */
async function writeQueryDataSet(
  library: Uint8Array[][][],
  config: ServerConfig,
  nowMs: number,
  sparseMs: number,
): Promise<{ profiles: number; seconds: number }> {
  const decoder = new IngestService(
    { write: () => Promise.reject(new Error('unused')) },
    { decodeLimits: {}, rateLimiter: new TenantRateLimiter(0, 0) },
  );
  const samples = library.map((types) =>
    types[0]!.map((gz) => decoder.decodePprof(gz, { labels: {}, fallbackTimeMs: 0 })[0]!.samples!),
  );
  let clockMs = nowMs;
  const store = await openEmbeddedStore({ ...storeOptions(config), compactIntervalMs: 0, now: () => clockMs });
  const others = Array.from({ length: FLEET_SERVICES - 1 }, (_, i) => i + 1);
  const ticks: [number, number[]][] = [];
  for (let t = nowMs - 32 * DAY; t < nowMs - HOUR; t += sparseMs)
    ticks.push([t, t >= nowMs - DAY ? [0, ...others] : [0]]);
  for (let t = nowMs - HOUR; t < nowMs; t += 10_000) ticks.push([t, [0]]);
  const started = performance.now();
  let profiles = 0;
  for (const [tick, [t, services]] of ticks.entries()) {
    clockMs = t + 10_000;
    const inputs: ProfileInput[] = [];
    for (const s of services) {
      for (let pod = 0; pod < FLEET_PODS; pod++) {
        inputs.push({
          labels: { service_name: `svc${s}`, pod: `svc${s}-pod${pod}`, namespace: 'prod' },
          profileType: CPU,
          timeMs: t,
          samples: samples[s]![(tick + pod) % samples[s]!.length]!,
        });
      }
    }
    await Promise.all(inputs.map((input) => store.write(config.defaultTenant, [input])));
    await store.compact();
    profiles += inputs.length;
  }
  await store.close();
  return { profiles, seconds: (performance.now() - started) / 1000 };
}

/** The ways one query is answered, from the store alone to the HTTP routes. */
const QUERY_PATHS = [
  'store.selectMergeTree',
  'QueryService.flameGraph',
  'Connect SelectMergeStacktraces',
  'QueryService.flameGraph + timeline',
  'GET /pyroscope/render',
] as const;

async function benchQuery(library: Uint8Array[][][], p: Plan): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-bench-query-'));
  const config = serverConfig(dataDir);
  const nowMs = Math.floor(Date.now() / 10_000) * 10_000;
  progress('writing the query data set');
  const written = await writeQueryDataSet(library, config, nowMs, p.sparseMs);
  const server = await startServer(config);
  // Rollups of the last ticks are summed now, not by the server's timer in the middle of a query.
  await server.store.compact();
  const query = new QueryService(server.store, {
    maxFlameGraphNodes: config.maxFlameGraphNodes,
    defaultFlameGraphNodes: config.defaultFlameGraphNodes,
    maxSeriesPoints: 11_000,
  });
  const http = async (path: string, init?: RequestInit): Promise<void> => {
    const res = await fetch(`${server.url}${path}`, init);
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${Buffer.from(body).toString('utf8', 0, 300)}`);
  };
  const ask = async (path: (typeof QUERY_PATHS)[number], sel: Selection, selector: string): Promise<number> => {
    switch (path) {
      case 'store.selectMergeTree':
        return (await server.store.selectMergeTree(sel)).size;
      case 'QueryService.flameGraph':
        await query.flameGraph(sel);
        return 0;
      case 'QueryService.flameGraph + timeline':
        await Promise.all([query.flameGraph(sel), query.timeline(sel)]);
        return 0;
      case 'Connect SelectMergeStacktraces': {
        const body = toBinary(
          SelectMergeStacktracesRequestSchema,
          create(SelectMergeStacktracesRequestSchema, {
            profileTypeID: CPU,
            labelSelector: selector,
            start: BigInt(sel.startMs),
            end: BigInt(sel.endMs),
          }),
        );
        await http('/querier.v1.QuerierService/SelectMergeStacktraces', {
          method: 'POST',
          headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
          body,
        });
        return 0;
      }
      case 'GET /pyroscope/render':
        await http(
          `/pyroscope/render?query=${encodeURIComponent(`${CPU}${selector}`)}&from=${sel.startMs}&until=${sel.endMs}`,
        );
        return 0;
    }
  };

  const cases: [string, number, string, number][] = [
    ['one service, 1 h', HOUR, '{service_name="svc0"}', p.serviceRuns],
    ['one service, 24 h', DAY, '{service_name="svc0"}', p.serviceRuns],
    ['one service, 7 d', 7 * DAY, '{service_name="svc0"}', p.serviceRuns],
    ['one service, 30 d', 30 * DAY, '{service_name="svc0"}', p.serviceRuns],
    ['whole fleet, 24 h', DAY, '{}', p.fleetRuns],
  ];
  const random = mulberry32(11);
  const rows: (string | number)[][] = [];
  try {
    for (const [name, lengthMs, selector, runs] of cases) {
      progress(`query: ${name}`);
      const times = QUERY_PATHS.map(() => [] as number[]);
      let nodes = 0;
      // One warm-up of every path, then runs that each ask every path the same query, in an
      // order that rotates so no path always comes first (or last) after a cold cache.
      for (let run = -1; run < runs; run++) {
        const endMs = nowMs - Math.floor(random() * 360) * 10_000;
        const sel = query.selection(config.defaultTenant, `${CPU}${selector}`, endMs - lengthMs, endMs);
        for (let k = 0; k < QUERY_PATHS.length; k++) {
          const i = (k + Math.max(run, 0)) % QUERY_PATHS.length;
          const started = performance.now();
          const size = await ask(QUERY_PATHS[i]!, sel, selector);
          if (run >= 0) times[i]!.push(performance.now() - started);
          if (size > 0) nodes = size;
        }
      }
      for (const t of times) t.sort((a, b) => a - b);
      const p50 = times.map((t) => percentile(t, 0.5));
      const cell = (i: number): string => `${p50[i]!.toFixed(1)} / ${percentile(times[i]!, 0.95).toFixed(1)}`;
      rows.push([
        name,
        nodes.toLocaleString('en-US'),
        cell(0),
        cell(1),
        cell(2),
        `**${(p50[2]! / p50[1]!).toFixed(2)}**`,
        cell(3),
        cell(4),
        `**${(p50[4]! / p50[3]!).toFixed(2)}**`,
      ]);
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return [
    `Query data set: ${written.profiles.toLocaleString('en-US')} CPU profiles (svc0's 10 pods every 10 s in the ` +
      `last hour and every ${p.sparseMs / 60_000} min for 32 days; 19 more services every ${p.sparseMs / 60_000} min ` +
      `in the last 24 h), written straight into the store in ${written.seconds.toFixed(0)} s; then served by a real ` +
      `server on that data directory. ${p.serviceRuns} runs per service case and ${p.fleetRuns} for the fleet, each ` +
      `ending at a random 10 s boundary in the last hour; flame graphs at the default 8,192 nodes.`,
    '',
    table(
      [
        'query: merged CPU flame graph',
        'tree nodes',
        'store.selectMergeTree p50 / p95 ms',
        'QueryService.flameGraph p50 / p95 ms',
        'Connect SelectMergeStacktraces p50 / p95 ms',
        'Connect / flameGraph (p50)',
        'flameGraph + timeline p50 / p95 ms',
        '/pyroscope/render p50 / p95 ms',
        'render / direct (p50)',
      ],
      rows,
    ),
  ].join('\n');
}

export async function benchServer(): Promise<string> {
  const p = plan();
  progress('generating the fleet uploads');
  // The storage bench's library: 6 uploads per service and profile type.
  const library = makeFleetLibrary(makeFleet(), 6);
  const ingest = await benchIngest(library, p);
  const queries = await benchQuery(library, p);
  return `${ingest}\n\n${queries}`;
}
