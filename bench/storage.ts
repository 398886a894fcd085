import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildCallTree, ProfileBuilder, type Profile } from '@kiln/model';
import { decodePprof, gunzip, serializePprof } from '@kiln/formats';
import { openEmbeddedStore, type ProfileInput } from '@kiln/server';
import { table } from './harness.js';
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
 * Rollups are compacted as the store does in the background.
 */
const SERVICES = 20;
const PODS = 10;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const TYPES = ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'memory:inuse_space:bytes:space:bytes'] as const;

interface Fleet {
  pools: string[][][];
  random: () => number;
}

function makeFleet(): Fleet {
  const random = mulberry32(7);
  const pools: string[][][] = [];
  for (let s = 0; s < SERVICES; s++) {
    const names = Array.from(
      { length: 2500 },
      (_, i) => `github.com/acme/svc${s}/pkg${i % 60}.(*Type${i % 90}).method${i}`,
    );
    const pool: string[][] = [];
    for (let i = 0; i < 4000; i++) {
      const depth = 20 + Math.floor(random() * 21);
      const stack =
        i > 0 && random() < 0.8 ? pool[Math.floor(random() * i)]!.slice(0, Math.floor(depth * random())) : [];
      while (stack.length < depth) stack.push(names[Math.floor(random() * random() * names.length)]!);
      pool.push(stack);
    }
    pools.push(pool);
  }
  return { pools, random };
}

/** One profile of a service as an agent would upload it: gzipped pprof. */
function makePprof(fleet: Fleet, service: number, type: number): Uint8Array {
  const b = new ProfileBuilder({
    sampleTypes: [type === 0 ? { type: 'cpu', unit: 'nanoseconds' } : { type: 'inuse_space', unit: 'bytes' }],
    periodType: type === 0 ? { type: 'cpu', unit: 'nanoseconds' } : { type: 'space', unit: 'bytes' },
    period: type === 0 ? 10_000_000 : 524_288,
  });
  const pool = fleet.pools[service]!;
  const stacks = 300 + Math.floor(fleet.random() * 1700);
  for (let i = 0; i < stacks; i++) {
    const stack = pool[Math.floor(fleet.random() * pool.length)]!;
    const value =
      type === 0 ? 10_000_000 * (1 + Math.floor(fleet.random() * 20)) : 524_288 * (1 + Math.floor(fleet.random() * 50));
    b.addStack(stack, [value]);
  }
  return gzipSync(serializePprof(b.build(), { gzip: false }), { level: 1 });
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

export async function benchStorage(): Promise<string> {
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
  const store = await openEmbeddedStore({ dataDir: dir, compactIntervalMs: 0, now: () => now });

  // Layers of writes, in time order: [service or -1 for all, from, to, step].
  const layers: [number, number, number, number][] = [
    [0, now - 32 * DAY, now - HOUR, 30 * 60_000],
    [-1, now - DAY, now - HOUR, 30 * 60_000],
    [0, now - HOUR, now, 10_000],
  ];
  let profiles = 0;
  let samples = 0;
  let gzBytes = 0;
  let ingestMs = 0;
  let decodeMs = 0;
  for (const [service, from, to, step] of layers) {
    const services = service === -1 ? Array.from({ length: SERVICES }, (_, i) => i).filter((s) => s !== 0) : [service];
    for (let t = from; t < to; t += step) {
      const batch: Uint8Array[] = [];
      const labels: ProfileInput['labels'][] = [];
      const types: number[] = [];
      for (const s of services) {
        for (let pod = 0; pod < PODS; pod++) {
          for (const type of [0, 1]) {
            const lib = library[s]![type]!;
            batch.push(lib[(t / step + pod) % lib.length]!);
            labels.push({ service_name: `svc${s}`, pod: `svc${s}-pod${pod}`, namespace: 'prod' });
            types.push(type);
          }
        }
      }
      // Decode-only, then the full ingest path (decode + tree + store.write), same uploads.
      let started = performance.now();
      for (const gz of batch) buildCallTree(decodePprof(gunzip(gz, 1 << 26)));
      decodeMs += performance.now() - started;
      started = performance.now();
      const inputs: ProfileInput[] = batch.map((gz, i) => {
        const profile: Profile = decodePprof(gunzip(gz, 1 << 26));
        samples += profile.samples.length;
        gzBytes += gz.length;
        return { labels: labels[i]!, profileType: TYPES[types[i]!]!, timeMs: t, tree: buildCallTree(profile) };
      });
      // Agents upload independently: one write() per profile, committed together.
      await Promise.all(inputs.map((p) => store.write('bench', [p])));
      ingestMs += performance.now() - started;
      profiles += inputs.length;
      sampleRss();
    }
    await store.compact();
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
  for (const [name, length, service] of queries) {
    const times: number[] = [];
    let nodes = 0;
    for (let i = 0; i < 15; i++) {
      // Ranges end at a random 10 s boundary in the last hour, as dashboards refresh.
      const end = now - Math.floor(Math.random() * 360) * 10_000;
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

  const ingestRate = profiles / (ingestMs / 1000);
  const decodeRate = profiles / (decodeMs / 1000);
  return [
    table(
      ['ingest', 'profiles', 'profiles/s (samples/s)', 'decode + tree only, profiles/s', 'ingest / decode'],
      [
        [
          'gzipped pprof → decode → tree → store.write',
          profiles.toLocaleString('en-US'),
          `**${Math.round(ingestRate)}** (${Math.round(samples / (ingestMs / 1000)).toLocaleString('en-US')})`,
          Math.round(decodeRate),
          (ingestRate / decodeRate).toFixed(2),
        ],
      ],
    ),
    '',
    table(['query: merged CPU flame graph', 'p50 ms', 'p95 ms', 'tree nodes'], rows),
    '',
    `30 d / 1 h cost (p50): **${(p50s[3]! / p50s[0]!).toFixed(1)}×**`,
    '',
    table(
      ['disk', 'value'],
      [
        ['bytes on disk', diskBytes.toLocaleString('en-US')],
        ['per stored profile', Math.round(diskBytes / profiles).toLocaleString('en-US')],
        ['same profiles as gzipped pprof, per profile', Math.round(gzBytes / profiles).toLocaleString('en-US')],
        ['disk / gzipped pprof', `**${((100 * diskBytes) / gzBytes).toFixed(1)} %**`],
        ['peak RSS while ingesting', `${(ingestRss / 2 ** 20).toFixed(0)} MiB`],
        ['peak RSS while querying', `${(peakRss / 2 ** 20).toFixed(0)} MiB`],
      ],
    ),
  ].join('\n');
}
