// One process of bench/storage-paired.ts: the checkout at argv[2] ingests the fleet at full
// density into a fresh store (its parsePprof, buildStackSamples and embedded store, as its
// ingest runs them) and prints what its timed ticks cost as one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProfileStore } from '../packages/server/src/storage/profile-store.js';
import { FLEET_PODS, FLEET_SERVICES, FLEET_TYPES, makeFleet, makeFleetPprof, sampleValue } from './synthetic-fleet.js';
import { mainThreadCpuMs } from './harness.js';

interface Decoded {
  samples: { values: Float64Array };
}

const root = process.argv[2]!;
const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(root, path)).href);
const parsePprof = (await load('packages/formats/src/index.ts'))['parsePprof'] as (
  gz: Uint8Array,
  o: object,
) => Decoded;
const buildStackSamples = (await load('packages/model/src/index.ts'))['buildStackSamples'] as (p: Decoded) => object[];
const openEmbeddedStore = (await load('packages/server/src/storage/embedded-store.ts'))['openEmbeddedStore'] as (
  o: object,
) => Promise<ProfileStore>;

const warmTicks = Number(process.env['BENCH_PAIRED_WARM_TICKS'] ?? 12);
const timedTicks = Number(process.env['BENCH_PAIRED_TICKS'] ?? 18);
// The same uploads and values in both processes: the fleet and its random stream are seeded.
const fleet = makeFleet();
const library = Array.from({ length: FLEET_SERVICES }, (_, s) =>
  [0, 1].map((type) => Array.from({ length: 6 }, () => makeFleetPprof(fleet, s, type))),
);
const sampleCounts = library.map((types) =>
  types.map((uploads) => uploads.map((gz) => parsePprof(gz, {}).samples.values.length)),
);
const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-paired-'));
let clockMs = Date.UTC(2026, 10, 26);
const store = await openEmbeddedStore({ dataDir: dir, compactIntervalMs: 0, now: () => clockMs });
let profiles = 0;
let cpuStart = 0;
let mainStart = 0;
for (let tick = 0; tick < warmTicks + timedTicks; tick++) {
  if (tick === warmTicks) {
    const { user, system } = process.cpuUsage();
    cpuStart = (user + system) / 1000;
    mainStart = mainThreadCpuMs();
  }
  const t = clockMs;
  clockMs += 10_000;
  const writes: Promise<unknown>[] = [];
  for (let s = 0; s < FLEET_SERVICES; s++) {
    for (let pod = 0; pod < FLEET_PODS; pod++) {
      for (const type of [0, 1]) {
        const k = (tick + pod) % 6;
        const values = new Float64Array(sampleCounts[s]![type]![k]!);
        for (let i = 0; i < values.length; i++) values[i] = sampleValue(fleet.random, type);
        const profile = parsePprof(library[s]![type]![k]!, { stringIds: true });
        profile.samples.values.set(values);
        const samples = buildStackSamples(profile)[0]!;
        const labels = { service_name: `svc${s}`, pod: `svc${s}-pod${pod}`, namespace: 'prod' };
        writes.push(store.write('bench', [{ labels, profileType: FLEET_TYPES[type]!, timeMs: t, samples } as never]));
        if (tick >= warmTicks) profiles++;
      }
    }
  }
  await Promise.all(writes);
  await store.compact();
}
const { user, system } = process.cpuUsage();
const result = { profiles, cpuMs: (user + system) / 1000 - cpuStart, mainMs: mainThreadCpuMs() - mainStart };
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
