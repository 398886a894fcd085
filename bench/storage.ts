import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStackSamples } from '@kiln/model';
import { parsePprof } from '@kiln/formats';
// The store itself, not @kiln/server's index: this bench needs none of HTTP, ingest or query.
import { openEmbeddedStore } from '../packages/server/src/storage/embedded-store.js';
import type { ProfileInput, ProfileInputSeries, ProfileStore } from '../packages/server/src/storage/profile-store.js';
import { mainThreadCpuMs, table } from './harness.js';
import { FLEET_PODS, FLEET_SERVICES, FLEET_TYPES, makeFleet, makeFleetPprof, sampleValue } from './synthetic-fleet.js';
import { mulberry32 } from './synthetic-profile.js';

/**
 * A synthetic fleet shaped like real services: 20 services × 10 pods × 2 profile types (CPU
 * and in-use memory), 300 to 2,000 distinct stacks per profile drawn from a per-service pool
 * of 4,000 stacks of depth 20 to 40.
 *
 * Writing 30 days of the whole fleet at one profile per series per 10 s is 10^8 profiles,
 * days of work for one core, so the data set is built in three layers, each at the density
 * that decides the cost of the queries that read it:
 * - the queried service: the last hour at full density (one profile per series per 10 s),
 *   and 31 days before that at one profile per series per 30 minutes (coarse cells hold the
 *   union of the service's stacks either way, which is what long queries pay for);
 * - the whole fleet: the last 24 hours at one profile per series per 30 minutes.
 * Uploads arrive in time order and the store's clock follows them, so rollups are compacted
 * as a running server would: a rollup cell is summed once, after its time has passed. (An
 * earlier version wrote the layers one after another with the clock at the end, so every
 * upload after the first layer arrived "late" and was added to every rollup level on its
 * own: a query then read up to 60 rows per 10 min cell where a server reads one.)
 */
const SERVICES = FLEET_SERVICES;
const PODS = FLEET_PODS;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const TYPES = FLEET_TYPES;
/** The fleet at full density runs this long before its time counts (fullDensity). */
const FULL_DENSITY_WARMUP_MS = 2 * 60_000;
const makePprof = makeFleetPprof;

/**
 * One way from a gzipped upload to the store: this checkout's (gunzip, decode, stack samples,
 * the embedded store), or another checkout's for an A/B run in one process (bench/storage-ab.ts).
 */
export interface IngestPath<P extends DecodedUpload = DecodedUpload> {
  name: string;
  /** gunzip + decode. */
  decode: (gz: Uint8Array) => P;
  /** What the store is given for the profile's first sample type: `{ samples }` or `{ tree }`. */
  body: (profile: P) => object;
  openStore: (dataDir: string, now: () => number) => Promise<ProfileStore>;
}

/** The part of a decoded profile the bench touches: its values, refreshed per upload. */
export interface DecodedUpload {
  samples: { values: Float64Array };
}

export const CURRENT_PATH: IngestPath = {
  name: 'this checkout',
  // As ingest decodes: parsePprof, with the strings' content ids (IngestService.decodePprof).
  decode: (gz) => parsePprof(gz, { stringIds: true })!,
  body: (profile) => ({ samples: buildStackSamples(profile as NonNullable<ReturnType<typeof parsePprof>>)[0]! }),
  openStore: (dataDir, now) => openEmbeddedStore({ dataDir, compactIntervalMs: 0, now }),
};

/**
 * Wall time of one part of the ingest path and, when asked for, process CPU time (every
 * thread: JS, V8's GC helpers, DuckDB's workers). On this shared 2-core machine other work
 * stretches wall time; CPU time is what one core must supply, so 1000 / (CPU ms per profile)
 * is the rate per core. CPU time costs a system call, so it is taken per tick, not per upload.
 */
class PartTime {
  wallMs = 0;
  cpuMs = 0;
  /** CPU time of the main thread alone (the JavaScript), where Linux tells it. */
  mainThreadMs = 0;
  private wallStart = 0;
  private cpuStart = 0;
  private mainStart = 0;

  constructor(private readonly cpu = false) {}

  start(): void {
    this.wallStart = performance.now();
    if (!this.cpu) return;
    this.cpuStart = processCpuMs();
    this.mainStart = mainThreadCpuMs();
  }

  stop(): void {
    this.wallMs += performance.now() - this.wallStart;
    if (!this.cpu) return;
    this.cpuMs += processCpuMs() - this.cpuStart;
    this.mainThreadMs += mainThreadCpuMs() - this.mainStart;
  }
}

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface StorageBenchOptions {
  /**
   * A smaller data set for iterating (BENCH_STORAGE_QUICK=1): 4 days instead of 32 of the
   * queried service's history and 4 other services instead of 19. The last hour, which the
   * 1 h query reads, stays at full density.
   */
  quick?: boolean;
  /**
   * The ingest paths under test, this checkout's by default. With several, each tick's uploads
   * go through every path in turn (the order alternating from tick to tick), each into a store
   * of its own, so their figures share the machine's load; every table gets a column per path.
   */
  paths?: readonly IngestPath[];
}

interface PathRun {
  path: IngestPath;
  dir: string;
  store: ProfileStore;
  decode: PartTime;
  samples: PartTime;
  write: PartTime;
  /** Decode, samples and write of every upload together, with CPU time. */
  ingest: PartTime;
  compact: PartTime;
}

export async function benchStorage(options: StorageBenchOptions = {}): Promise<string> {
  const quick = options.quick ?? process.env['BENCH_STORAGE_QUICK'] === '1';
  const paths = options.paths ?? [CURRENT_PATH];
  const fleet = makeFleet();
  // A library of uploads per (service, type) to draw from: generating is not what we measure.
  const library: Uint8Array[][][] = [];
  for (let s = 0; s < SERVICES; s++)
    library.push([0, 1].map((t) => Array.from({ length: 6 }, () => makePprof(fleet, s, t))));
  const sampleCount = library.map((types) => types.map((uploads) => uploads.map((gz) => sampleCountOf(gz))));
  const now = Date.UTC(2026, 10, 25);
  let peakRss = 0;
  const sampleRss = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  // The store's clock follows the data: an upload arrives as its 10 s window closes, and
  // rollups are compacted after every tick, as the store's 10 s background timer would.
  let clockMs = now;
  const runs: PathRun[] = [];
  for (const path of paths) runs.push(await openRun(path, () => clockMs));

  // Ticks in time order, each with the services that upload then: the queried service every
  // 30 min for 31 days and every 10 s in the last hour, the others every 30 min in the last day.
  const others = Array.from({ length: quick ? 4 : SERVICES - 1 }, (_, i) => i + 1);
  const ticks: [number, number[]][] = [];
  for (let t = now - (quick ? 4 : 32) * DAY; t < now - HOUR; t += 30 * 60_000)
    ticks.push([t, t >= now - DAY ? [0, ...others] : [0]]);
  for (let t = now - HOUR; t < now; t += 10_000) ticks.push([t, [0]]);
  let profiles = 0;
  let samples = 0;
  let gzBytes = 0;
  for (const [tick, [t, services]] of ticks.entries()) {
    clockMs = t + 10_000;
    const uploads = tickUploads(library, sampleCount, fleet.random, services, tick);
    await ingestTick(runs, uploads, t, tick);
    for (const u of uploads) {
      samples += u.values.length;
      gzBytes += u.gz.length;
    }
    profiles += uploads.length;
    sampleRss();
  }
  const ingestRss = peakRss;
  const diskBytes = runs.map((r) => dirBytes(r.dir));

  peakRss = 0;
  const queries: [string, number, string | null][] = [
    ['one service, 1 h', HOUR, 'svc0'],
    ['one service, 24 h', DAY, 'svc0'],
    ['one service, 7 d', 7 * DAY, 'svc0'],
    ['one service, 30 d', 30 * DAY, 'svc0'],
    ['whole fleet, 24 h', DAY, null],
  ];
  const queryRows: string[][] = [];
  const p50s: number[][] = runs.map(() => []);
  let nodes = 0;
  const random = mulberry32(11);
  for (const [name, length, service] of queries) {
    const times: number[][] = runs.map(() => []);
    for (let i = 0; i < 15; i++) {
      // Ranges end at a random 10 s boundary in the last hour, as dashboards refresh; every
      // store answers the same range, in turn.
      const end = now - Math.floor(random() * 360) * 10_000;
      for (const [r, run] of runs.entries()) {
        const started = performance.now();
        const tree = await run.store.selectMergeTree({
          tenant: 'bench',
          profileType: TYPES[0],
          matchers: service ? [{ name: 'service_name', op: '=', value: service }] : [],
          startMs: end - length,
          endMs: end,
        });
        times[r]!.push(performance.now() - started);
        nodes = tree.size;
        sampleRss();
      }
    }
    const row = [`${name} (${nodes.toLocaleString('en-US')} nodes)`];
    for (const [r, list] of times.entries()) {
      list.sort((a, b) => a - b);
      p50s[r]!.push(percentile(list, 0.5));
      row.push(`${percentile(list, 0.5).toFixed(1)} / ${percentile(list, 0.95).toFixed(1)}`);
    }
    queryRows.push(row);
  }
  for (const run of runs) {
    await run.store.close();
    rmSync(run.dir, { recursive: true, force: true });
  }

  const dense = await denseSlice(library, sampleCount, fleet.random, paths);
  const full = await fullDensity(library, sampleCount, fleet.random, paths, quick ? 3 : 10);

  const names = runs.map((r) => r.path.name);
  const perProfile = (ms: number): string => (ms / profiles).toFixed(2);
  const rate = (ms: number): string => Math.round(profiles / (ms / 1000)).toLocaleString('en-US');
  const wall = (times: PartTime[]): number => times.reduce((a, x) => a + x.wallMs, 0);
  const parts: [string, (r: PathRun) => PartTime[]][] = [
    ['gunzip + decode', (r) => [r.decode]],
    ['stack samples (or call tree)', (r) => [r.samples]],
    ['store.write', (r) => [r.write]],
    ['compaction', (r) => [r.compact]],
    ['**end to end**: gunzip → decode → stack samples → store.write', (r) => [r.decode, r.samples, r.write]],
    ['**sustained**: end to end + compaction', (r) => [r.decode, r.samples, r.write, r.compact]],
  ];
  const cpuRows: [string, (r: PathRun) => number][] = [
    ['CPU, main thread: end to end', (r) => r.ingest.mainThreadMs],
    ['CPU, all threads: end to end', (r) => r.ingest.cpuMs],
    ['CPU, all threads: compaction', (r) => r.compact.cpuMs],
    ['CPU, all threads: **sustained**', (r) => r.ingest.cpuMs + r.compact.cpuMs],
  ];
  const cell = (ms: number): string => `${perProfile(ms)} ms, ${rate(ms)}/s`;
  const ingestRows = [
    ...parts.map(([name, of]) => [name, ...runs.map((r) => cell(wall(of(r))))]),
    ...cpuRows.map(([name, of]) => [name, ...runs.map((r) => cell(of(r)))]),
  ];
  const ratio = (of: (r: PathRun) => number): string => (of(runs[0]!) / of(runs[runs.length - 1]!)).toFixed(2);
  const ratios =
    runs.length < 2
      ? []
      : [
          '',
          `${names[names.length - 1]} / ${names[0]}, rate: end to end ${ratio((r) => wall(parts[4]![1](r)))}× (wall) ` +
            `and ${ratio((r) => r.ingest.cpuMs)}× (CPU); sustained ${ratio((r) => wall(parts[5]![1](r)))}× (wall) and ` +
            `${ratio((r) => r.ingest.cpuMs + r.compact.cpuMs)}× (CPU).`,
        ];
  const percent = (a: number, b: number): string => `**${((100 * a) / b).toFixed(1)} %**`;
  return [
    table(
      [
        `ingest (${profiles.toLocaleString('en-US')} uploads, ${Math.round(samples / profiles).toLocaleString('en-US')} samples each)`,
        ...names.map((n) => `${n}: per profile, rate (wall; CPU: per core)`),
      ],
      ingestRows,
    ),
    ...ratios,
    '',
    table(
      ['query: merged CPU flame graph', ...names.map((n) => `${n}: p50 / p95 ms`)],
      [...queryRows, ['30 d / 1 h (p50)', ...p50s.map((p) => `**${(p[3]! / p[0]!).toFixed(1)}×**`)]],
    ),
    '',
    table(
      ['disk', ...names.map((n) => `${n}: fleet data set`), ...names.map((n) => `${n}: dense slice`)],
      [
        [
          'profiles',
          ...names.map(() => profiles.toLocaleString('en-US')),
          ...dense.map((d) => d.profiles.toLocaleString('en-US')),
        ],
        [
          'bytes on disk',
          ...diskBytes.map((b) => b.toLocaleString('en-US')),
          ...dense.map((d) => d.diskBytes.toLocaleString('en-US')),
        ],
        [
          'per stored profile',
          ...diskBytes.map((b) => Math.round(b / profiles).toLocaleString('en-US')),
          ...dense.map((d) => Math.round(d.diskBytes / d.profiles).toLocaleString('en-US')),
        ],
        [
          'same profiles as gzipped pprof, per profile',
          ...names.map(() => Math.round(gzBytes / profiles).toLocaleString('en-US')),
          ...dense.map((d) => Math.round(d.gzBytes / d.profiles).toLocaleString('en-US')),
        ],
        [
          'disk / gzipped pprof',
          ...diskBytes.map((b) => percent(b, gzBytes)),
          ...dense.map((d) => percent(d.diskBytes, d.gzBytes)),
        ],
        [
          'store.write + compaction at full density, CPU per profile',
          ...names.map(() => ''),
          ...dense.map(
            (d) => `${(d.cpuMs / d.profiles).toFixed(2)} ms, ${Math.round(d.profiles / (d.cpuMs / 1000))}/s`,
          ),
        ],
      ],
    ),
    '',
    `Peak RSS (${runs.length > 1 ? 'all stores together' : 'the process'}): ${(ingestRss / 2 ** 20).toFixed(0)} MiB ingesting, ${(peakRss / 2 ** 20).toFixed(0)} MiB querying.`,
    '',
    fullDensityTable(full, quick ? 3 : 10),
  ].join('\n');
}

interface Upload {
  gz: Uint8Array;
  labels: ProfileInput['labels'];
  type: number;
  values: Float64Array;
}

/** A store of its own for `path`, in a fresh directory, with its timers. */
async function openRun(path: IngestPath, clock: () => number): Promise<PathRun> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-store-'));
  return { path, dir, store: await path.openStore(dir, clock), ...timers() };
}

/** A run's timers, at zero. */
function timers(): Pick<PathRun, 'decode' | 'samples' | 'write' | 'ingest' | 'compact'> {
  return {
    decode: new PartTime(),
    samples: new PartTime(),
    write: new PartTime(),
    ingest: new PartTime(true),
    compact: new PartTime(true),
  };
}

/** Every pod's two uploads of `services` at tick number `tick`, with fresh values. */
function tickUploads(
  library: Uint8Array[][][],
  sampleCount: number[][][],
  random: () => number,
  services: readonly number[],
  tick: number,
): Upload[] {
  const uploads: Upload[] = [];
  for (const s of services) {
    for (let pod = 0; pod < PODS; pod++) {
      for (const type of [0, 1]) {
        const k = (tick + pod) % library[s]![type]!.length;
        uploads.push({
          gz: library[s]![type]![k]!,
          labels: { service_name: `svc${s}`, pod: `svc${s}-pod${pod}`, namespace: 'prod' },
          type,
          values: freshValues(sampleCount[s]![type]![k]!, random, type),
        });
      }
    }
  }
  return uploads;
}

/**
 * One tick's uploads through every path (the order alternating from tick to tick), each into
 * its own store, then compaction, as the store's 10 s timer would run it.
 */
async function ingestTick(
  runs: readonly PathRun[],
  uploads: readonly Upload[],
  t: number,
  tick: number,
): Promise<void> {
  for (let i = 0; i < runs.length; i++) {
    const run = runs[(i + tick) % runs.length]!;
    // The ingest path in timed parts: gunzip + decode, stack samples (what ingest's
    // splitPprof makes of a pprof), then store.write. As a server does, each upload goes to
    // the store as soon as it is decoded (the embedded store interns it then); the writes of
    // a tick share one commit.
    const writes: Promise<unknown>[] = [];
    run.ingest.start();
    for (const u of uploads) {
      run.decode.start();
      const profile = run.path.decode(u.gz);
      run.decode.stop();
      profile.samples.values.set(u.values);
      run.samples.start();
      const body = run.path.body(profile);
      run.samples.stop();
      run.write.start();
      writes.push(
        run.store.write('bench', [inputOf({ labels: u.labels, profileType: TYPES[u.type]!, timeMs: t }, body)]),
      );
      run.write.stop();
    }
    run.write.start();
    await Promise.all(writes);
    run.write.stop();
    run.ingest.stop();
    run.compact.start();
    await run.store.compact();
    run.compact.stop();
  }
}

/**
 * Sustained ingest at the fleet's own density: all 20 services' 400 series uploading every
 * 10 s into fresh stores, compacted after every tick; timed for `minutes` after two minutes of
 * warm-up, in which the stores learn the services' stacks. The fleet data set above
 * is mostly sparse (a tick of 20 uploads per 30 minutes), so each commit and compaction there
 * is shared by 20 uploads; a server taking this fleet shares them among 400 per tick, and a
 * server taking 500 profiles/s among 5,000.
 */
async function fullDensity(
  library: Uint8Array[][][],
  sampleCount: number[][][],
  random: () => number,
  paths: readonly IngestPath[],
  minutes: number,
): Promise<{ runs: PathRun[]; profiles: number; samples: number }> {
  const start = Date.UTC(2026, 10, 26);
  let clockMs = start;
  const runs: PathRun[] = [];
  for (const path of paths) runs.push(await openRun(path, () => clockMs));
  const services = Array.from({ length: SERVICES }, (_, i) => i);
  let profiles = 0;
  let samples = 0;
  const measuredFrom = start + FULL_DENSITY_WARMUP_MS;
  for (let tick = 0, t = start; t < measuredFrom + minutes * 60_000; tick++, t += 10_000) {
    if (t === measuredFrom) {
      // Warmed up (the dictionaries know the services' stacks, as a running server's do): from
      // here on, time counts.
      for (const run of runs) Object.assign(run, timers());
    }
    clockMs = t + 10_000;
    const uploads = tickUploads(library, sampleCount, random, services, tick);
    await ingestTick(runs, uploads, t, tick);
    if (t < measuredFrom) continue;
    profiles += uploads.length;
    for (const u of uploads) samples += u.values.length;
  }
  for (const run of runs) {
    await run.store.close();
    rmSync(run.dir, { recursive: true, force: true });
  }
  return { runs, profiles, samples };
}

/** The table of fullDensity's runs: the ingest target's figure (issue 3: 500 profiles/s per core). */
function fullDensityTable(full: { runs: PathRun[]; profiles: number; samples: number }, minutes: number): string {
  const { runs, profiles, samples } = full;
  const cell = (ms: number): string =>
    `${(ms / profiles).toFixed(2)} ms, ${Math.round(profiles / (ms / 1000)).toLocaleString('en-US')}/s`;
  const wall = (times: PartTime[]): number => times.reduce((a, x) => a + x.wallMs, 0);
  const sustainedCpu = (r: PathRun): number => r.ingest.cpuMs + r.compact.cpuMs;
  const rows: [string, (r: PathRun) => string][] = [
    ['gunzip + decode (wall): the decode-only rate', (r) => cell(wall([r.decode]))],
    ['stack samples + store.write (wall)', (r) => cell(wall([r.samples, r.write]))],
    ['compaction (wall)', (r) => cell(wall([r.compact]))],
    ['sustained: end to end + compaction (wall)', (r) => cell(wall([r.decode, r.samples, r.write, r.compact]))],
    ['CPU, all threads: end to end', (r) => cell(r.ingest.cpuMs)],
    ['CPU, all threads: compaction', (r) => cell(r.compact.cpuMs)],
    ['CPU, all threads: **sustained** (rate per core)', (r) => `**${cell(sustainedCpu(r))}**`],
    [
      'samples per second per core, sustained',
      (r) => Math.round(samples / (sustainedCpu(r) / 1000)).toLocaleString('en-US'),
    ],
  ];
  const names = runs.map((r) => r.path.name);
  const lines = [
    table(
      [
        `ingest at the fleet's full density (${profiles.toLocaleString('en-US')} uploads: 400 per 10 s tick for ${minutes} min after ${FULL_DENSITY_WARMUP_MS / 60_000} min of warm-up, ${Math.round(samples / profiles).toLocaleString('en-US')} samples each)`,
        ...names.map((n) => `${n}: per profile, rate`),
      ],
      rows.map(([name, of]) => [name, ...runs.map(of)]),
    ),
  ];
  if (runs.length > 1) {
    const ratio = sustainedCpu(runs[0]!) / sustainedCpu(runs[runs.length - 1]!);
    lines.push('', `${names[names.length - 1]} / ${names[0]}, sustained rate per core: ${ratio.toFixed(2)}×.`);
  }
  return lines.join('\n');
}

/** A profile input from its series and a path's body (another checkout's types are its own). */
function inputOf(series: ProfileInputSeries, body: object): ProfileInput {
  return { ...series, ...body } as unknown as ProfileInput;
}

/** How many samples an upload has (for freshValues). */
function sampleCountOf(gz: Uint8Array): number {
  return CURRENT_PATH.decode(gz).samples.values.length;
}

/**
 * Fresh sample values for one upload. Uploads are drawn from a small library (making pprof
 * takes longer than ingesting it), and no two real uploads repeat: stored as they come,
 * repeated uploads would let DuckDB's dictionary compression store each once. Drawn once per
 * upload, so every path stores the same values.
 */
function freshValues(n: number, random: () => number, type: number): Float64Array {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = sampleValue(random, type);
  return values;
}

/**
 * Disk cost at full density: one service (20 series) uploading every 10 s for an hour, into
 * a store of its own, compacted as it goes and then through every level as a day later. The
 * fleet data set above is mostly sparse (one upload per 30 min), where each rollup cell holds
 * a single upload; this is the steady state of a busy deployment, so the CPU time of its
 * store.write and compaction is reported too.
 */
async function denseSlice(
  library: Uint8Array[][][],
  sampleCount: number[][][],
  random: () => number,
  paths: readonly IngestPath[],
): Promise<{ profiles: number; diskBytes: number; gzBytes: number; cpuMs: number }[]> {
  const out = [];
  const start = Date.UTC(2026, 10, 24);
  // Decoding is measured above; here every library upload is decoded once, and the uploads
  // of a tick get the same fresh values in every path.
  const values: Float64Array[][] = [];
  for (let t = start; t < start + HOUR; t += 10_000) {
    const tick: Float64Array[] = [];
    for (let pod = 0; pod < PODS; pod++) {
      for (const type of [0, 1]) {
        const k = (t / 10_000 + pod) % library[0]![type]!.length;
        tick.push(freshValues(sampleCount[0]![type]![k]!, random, type));
      }
    }
    values.push(tick);
  }
  for (const path of paths) {
    const decoded = library[0]!.map((uploads) => uploads.map((gz) => path.decode(gz)));
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-dense-'));
    let clockMs = start;
    const store = await path.openStore(dir, () => clockMs);
    let profiles = 0;
    let gzBytes = 0;
    const time = new PartTime(true);
    for (let t = start, i = 0; t < start + HOUR; t += 10_000, i++) {
      clockMs = t + 10_000;
      const inputs: ProfileInput[] = [];
      let j = 0;
      for (let pod = 0; pod < PODS; pod++) {
        for (const type of [0, 1]) {
          const k = (t / 10_000 + pod) % decoded[type]!.length;
          const profile = decoded[type]![k]!;
          // A shallow copy with this upload's values: stack samples share their profile's.
          const upload = { ...profile, samples: { ...profile.samples, values: values[i]![j++]! } };
          gzBytes += library[0]![type]![k]!.length;
          const labels = { service_name: 'svc0', pod: `svc0-pod${pod}`, namespace: 'prod' };
          inputs.push(inputOf({ labels, profileType: TYPES[type]!, timeMs: t }, path.body(upload)));
        }
      }
      time.start();
      await Promise.all(inputs.map((p) => store.write('bench', [p])));
      await store.compact();
      time.stop();
      profiles += inputs.length;
    }
    clockMs = start + 2 * DAY;
    await store.compact();
    // Measured open, as the fleet data set is: write-ahead logs count.
    const diskBytes = dirBytes(dir);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    out.push({ profiles, diskBytes, gzBytes, cpuMs: time.cpuMs });
  }
  return out;
}
