import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStackSamples, type Profile } from '@kiln/model';
import { decodePprof, gunzip } from '@kiln/formats';
// The store itself, not @kiln/server's index: this bench needs none of HTTP, ingest or query.
import { openEmbeddedStore } from '../packages/server/src/storage/embedded-store.js';
import type { ProfileInput, ProfileStore } from '../packages/server/src/storage/profile-store.js';
import { table } from './harness.js';
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
const makePprof = makeFleetPprof;

/**
 * Gives a decoded upload fresh sample values. Uploads are drawn from a small library (making
 * pprof takes longer than ingesting it), and no two real uploads repeat: stored as they come,
 * repeated uploads would let DuckDB's dictionary compression store each once.
 */
function refreshValues(profile: Profile, random: () => number, type: number): void {
  const values = profile.samples.values;
  for (let i = 0; i < values.length; i++) values[i] = sampleValue(random, type);
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
  /** The store under test; the embedded store by default (A/B runs pass another). */
  openStore?: (dataDir: string, now: () => number) => Promise<ProfileStore>;
}

const defaultOpen = (dataDir: string, now: () => number): Promise<ProfileStore> =>
  openEmbeddedStore({ dataDir, compactIntervalMs: 0, now });

export async function benchStorage(options: StorageBenchOptions = {}): Promise<string> {
  const quick = options.quick ?? process.env['BENCH_STORAGE_QUICK'] === '1';
  const open = options.openStore ?? defaultOpen;
  const fleet = makeFleet();
  // A library of uploads per (service, type) to draw from: generating is not what we measure.
  const library: Uint8Array[][][] = [];
  for (let s = 0; s < SERVICES; s++)
    library.push([0, 1].map((t) => Array.from({ length: 6 }, () => makePprof(fleet, s, t))));
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-store-'));
  const now = Date.UTC(2026, 10, 25);
  let peakRss = 0;
  const sampleRss = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  // The store's clock follows the data: an upload arrives as its 10 s window closes, and
  // rollups are compacted after every tick, as the store's 10 s background timer would.
  let clockMs = now;
  const store = await open(dir, () => clockMs);

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
  let decodeMs = 0;
  let samplesMs = 0;
  let writeMs = 0;
  let compactMs = 0;
  for (const [tick, [t, services]] of ticks.entries()) {
    clockMs = t + 10_000;
    const batch: Uint8Array[] = [];
    const labels: ProfileInput['labels'][] = [];
    const types: number[] = [];
    for (const s of services) {
      for (let pod = 0; pod < PODS; pod++) {
        for (const type of [0, 1]) {
          const lib = library[s]![type]!;
          batch.push(lib[(tick + pod) % lib.length]!);
          labels.push({ service_name: `svc${s}`, pod: `svc${s}-pod${pod}`, namespace: 'prod' });
          types.push(type);
        }
      }
    }
    // The ingest path in timed parts: gunzip + decode, stack samples (what ingest's
    // splitPprof makes of a pprof), then store.write.
    const inputs: ProfileInput[] = batch.map((gz, i) => {
      let started = performance.now();
      const profile = decodePprof(gunzip(gz, 1 << 26));
      decodeMs += performance.now() - started;
      refreshValues(profile, fleet.random, types[i]!);
      started = performance.now();
      const stackSamples = buildStackSamples(profile)[0]!;
      samplesMs += performance.now() - started;
      samples += profile.samples.length;
      gzBytes += gz.length;
      return { labels: labels[i]!, profileType: TYPES[types[i]!]!, timeMs: t, samples: stackSamples };
    });
    let started = performance.now();
    // Agents upload independently: one write() per profile, committed together.
    await Promise.all(inputs.map((p) => store.write('bench', [p])));
    writeMs += performance.now() - started;
    started = performance.now();
    await store.compact();
    compactMs += performance.now() - started;
    profiles += inputs.length;
    sampleRss();
  }
  const ingestRss = peakRss;
  const diskBytes = dirBytes(dir);

  peakRss = 0;
  const queries: [string, number, string | null][] = [
    ['one service, 1 h', HOUR, 'svc0'],
    ['one service, 24 h', DAY, 'svc0'],
    ['one service, 7 d', 7 * DAY, 'svc0'],
    ['one service, 30 d', 30 * DAY, 'svc0'],
    ['whole fleet, 24 h', DAY, null],
  ];
  const rows: (string | number)[][] = [];
  const p50s: number[] = [];
  const random = mulberry32(11);
  for (const [name, length, service] of queries) {
    const times: number[] = [];
    let nodes = 0;
    for (let i = 0; i < 15; i++) {
      // Ranges end at a random 10 s boundary in the last hour, as dashboards refresh.
      const end = now - Math.floor(random() * 360) * 10_000;
      const started = performance.now();
      const tree = await store.selectMergeTree({
        tenant: 'bench',
        profileType: TYPES[0],
        matchers: service ? [{ name: 'service_name', op: '=', value: service }] : [],
        startMs: end - length,
        endMs: end,
      });
      times.push(performance.now() - started);
      nodes = tree.size;
      sampleRss();
    }
    times.sort((a, b) => a - b);
    p50s.push(percentile(times, 0.5));
    rows.push([
      name,
      percentile(times, 0.5).toFixed(1),
      percentile(times, 0.95).toFixed(1),
      nodes.toLocaleString('en-US'),
    ]);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  const dense = await denseSlice(library, fleet.random, open);

  const rate = (ms: number): number => Math.round(profiles / (ms / 1000));
  const ingestMs = decodeMs + samplesMs + writeMs;
  return [
    table(
      [
        'ingest',
        'profiles',
        'decode + samples + write, profiles/s (samples/s)',
        'gunzip + decode only, profiles/s',
        'decode + stack samples only, profiles/s',
        'store.write only, profiles/s',
        'with compaction (sustained), profiles/s',
      ],
      [
        [
          'gzipped pprof → decode → stack samples → store.write',
          profiles.toLocaleString('en-US'),
          `**${rate(ingestMs)}** (${Math.round(samples / (ingestMs / 1000)).toLocaleString('en-US')})`,
          rate(decodeMs),
          rate(decodeMs + samplesMs),
          rate(writeMs),
          `**${rate(ingestMs + compactMs)}**`,
        ],
      ],
    ),
    '',
    `Per profile: gunzip + decode ${(decodeMs / profiles).toFixed(2)} ms, stack samples ` +
      `${(samplesMs / profiles).toFixed(2)} ms, store.write ${(writeMs / profiles).toFixed(2)} ms, ` +
      `compaction ${(compactMs / profiles).toFixed(2)} ms.`,
    '',
    `Compaction (all levels, after every tick): ${(compactMs / 1000).toFixed(1)} s in all, ` +
      `${(compactMs / profiles).toFixed(2)} ms per profile.`,
    '',
    table(['query: merged CPU flame graph', 'p50 ms', 'p95 ms', 'tree nodes'], rows),
    '',
    `30 d / 1 h cost (p50): **${(p50s[3]! / p50s[0]!).toFixed(1)}×**`,
    '',
    table(
      ['disk', 'fleet data set', 'dense slice'],
      [
        ['profiles', profiles.toLocaleString('en-US'), dense.profiles.toLocaleString('en-US')],
        ['bytes on disk', diskBytes.toLocaleString('en-US'), dense.diskBytes.toLocaleString('en-US')],
        [
          'per stored profile',
          Math.round(diskBytes / profiles).toLocaleString('en-US'),
          Math.round(dense.diskBytes / dense.profiles).toLocaleString('en-US'),
        ],
        [
          'same profiles as gzipped pprof, per profile',
          Math.round(gzBytes / profiles).toLocaleString('en-US'),
          Math.round(dense.gzBytes / dense.profiles).toLocaleString('en-US'),
        ],
        [
          'disk / gzipped pprof',
          `**${((100 * diskBytes) / gzBytes).toFixed(1)} %**`,
          `**${((100 * dense.diskBytes) / dense.gzBytes).toFixed(1)} %**`,
        ],
        ['peak RSS while ingesting', `${(ingestRss / 2 ** 20).toFixed(0)} MiB`, ''],
        ['peak RSS while querying', `${(peakRss / 2 ** 20).toFixed(0)} MiB`, ''],
      ],
    ),
  ].join('\n');
}

/**
 * Disk cost at full density: one service (20 series) uploading every 10 s for an hour, into
 * a store of its own, compacted as it goes and then through every level as a day later. The
 * fleet data set above is mostly sparse (one upload per 30 min), where each rollup cell holds
 * a single upload; this is the steady state of a busy deployment.
 */
async function denseSlice(
  library: Uint8Array[][][],
  random: () => number,
  open: NonNullable<StorageBenchOptions['openStore']>,
): Promise<{ profiles: number; diskBytes: number; gzBytes: number }> {
  // Decoding is measured above; here every library upload is decoded once.
  const decoded: Profile[][] = library[0]!.map((uploads) => uploads.map((gz) => decodePprof(gunzip(gz, 1 << 26))));
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-dense-'));
  const start = Date.UTC(2026, 10, 24);
  let clockMs = start;
  const store = await open(dir, () => clockMs);
  let profiles = 0;
  let gzBytes = 0;
  for (let t = start; t < start + HOUR; t += 10_000) {
    clockMs = t + 10_000;
    const inputs: ProfileInput[] = [];
    for (let pod = 0; pod < PODS; pod++) {
      for (const type of [0, 1]) {
        const k = (t / 10_000 + pod) % decoded[type]!.length;
        const profile = decoded[type]![k]!;
        refreshValues(profile, random, type);
        gzBytes += library[0]![type]![k]!.length;
        inputs.push({
          labels: { service_name: 'svc0', pod: `svc0-pod${pod}`, namespace: 'prod' },
          profileType: TYPES[type]!,
          timeMs: t,
          samples: buildStackSamples(profile)[0]!,
        });
      }
    }
    await Promise.all(inputs.map((p) => store.write('bench', [p])));
    await store.compact();
    profiles += inputs.length;
  }
  clockMs = start + 2 * DAY;
  await store.compact();
  // Measured open, as the fleet data set is: write-ahead logs count.
  const diskBytes = dirBytes(dir);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { profiles, diskBytes, gzBytes };
}
