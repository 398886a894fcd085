import { gzipSync } from 'node:zlib';
import { ProfileBuilder } from '@kiln/model';
import { serializePprof } from '@kiln/formats';
import { mulberry32 } from './synthetic-profile.js';

// The synthetic fleet both bench/storage.ts and bench/server.ts ingest: per-service pools of
// realistic stacks and uploads drawn from them as agents send them.

export const FLEET_SERVICES = 20;
export const FLEET_PODS = 10;
/** CPU and in-use memory, as the store names their series. */
export const FLEET_TYPES = [
  'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  'memory:inuse_space:bytes:space:bytes',
] as const;

export interface Fleet {
  /** Per service, 4,000 stacks of depth 20 to 40 (root first) that share prefixes. */
  pools: string[][][];
  random: () => number;
}

/** 20 services, each with a pool of 4,000 stacks of depth 20 to 40 over 2,500 Go-style function names. */
export function makeFleet(seed = 7): Fleet {
  const random = mulberry32(seed);
  const pools: string[][][] = [];
  for (let s = 0; s < FLEET_SERVICES; s++) {
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

/**
 * One upload of a service as an agent sends it: gzipped pprof of 300 to 2,000 distinct stacks
 * from the service's pool, one sample type (`type` 0: CPU ns, 1: in-use bytes), no timestamp.
 */
export function makeFleetPprof(fleet: Fleet, service: number, type: number): Uint8Array {
  const b = new ProfileBuilder({
    sampleTypes: [type === 0 ? { type: 'cpu', unit: 'nanoseconds' } : { type: 'inuse_space', unit: 'bytes' }],
    periodType: type === 0 ? { type: 'cpu', unit: 'nanoseconds' } : { type: 'space', unit: 'bytes' },
    period: type === 0 ? 10_000_000 : 524_288,
  });
  const pool = fleet.pools[service]!;
  const stacks = 300 + Math.floor(fleet.random() * 1700);
  for (let i = 0; i < stacks; i++) {
    const stack = pool[Math.floor(fleet.random() * pool.length)]!;
    b.addStack(stack, [sampleValue(fleet.random, type)]);
  }
  return gzipSync(serializePprof(b.build(), { gzip: false }), { level: 1 });
}

/**
 * A sample's value: CPU time is a count of 10 ms periods, as CPU profilers report it; in-use
 * bytes are any integer up to 26 MB (Go scales heap samples by the sampling rate, so they
 * share no common factor).
 */
export function sampleValue(random: () => number, type: number): number {
  return type === 0 ? 10_000_000 * (1 + Math.floor(random() * 20)) : 1 + Math.floor(random() * 50 * 524_288);
}

/**
 * Uploads to draw from, `[service][type][variant]`: generating is not what a bench measures.
 * Drawn in the order bench/storage.ts draws them, so the first 6 variants are its library.
 */
export function makeFleetLibrary(fleet: Fleet, variants: number): Uint8Array[][][] {
  const library: Uint8Array[][][] = [];
  for (let s = 0; s < FLEET_SERVICES; s++) {
    library.push([0, 1].map((t) => Array.from({ length: variants }, () => makeFleetPprof(fleet, s, t))));
  }
  return library;
}
