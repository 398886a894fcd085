import { ProfileBuilder, type Profile } from '@kiln/model';

/**
 * A realistic busy 10 s CPU profile, seeded: 3,000 functions with Go-style names, about 4,000
 * locations (10 % carry an inlined frame), 2,000 unique stacks of depth 20 to 40 that share
 * prefixes, and 5,000 samples (every stack once, the rest Zipf-distributed over stacks) with a
 * `handler` label of 20 values. Values are [count, count × 10 ms] as Go's CPU profiler writes.
 * This is the shape ../shared/reference/performance.md measured (§5.1).
 */
export function syntheticCpuProfile(seed = 42): Profile {
  const random = mulberry32(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const zipf = (n: number): number => Math.min(n - 1, Math.floor(n * Math.pow(random(), 3)));
  const b = new ProfileBuilder({
    sampleTypes: [
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ],
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: 10_000_000,
    timeNs: 1_795_000_000_000_000_000,
    durationNs: 10_000_000_000,
  });
  const packages = ['net/http', 'encoding/json', 'runtime', 'github.com/acme/shop/internal/cart', 'database/sql'];
  const fns: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const pkg = packages[pick(packages.length)]!;
    const name = `${pkg}.(*handler${i % 97}).process${'Request'.repeat(1 + (i % 3))}Step${i}`;
    fns.push(b.addFunction({ name, filename: `/src/${pkg}/file${i % 211}.go`, startLine: 10 + (i % 500) }));
  }
  const locations: number[] = [];
  for (let i = 0; i < 4055; i++) {
    const fn = fns[i % fns.length]!;
    const lines = [{ fn, line: 20 + pick(400) }];
    if (random() < 0.1) lines.unshift({ fn: fns[pick(fns.length)]!, line: 5 + pick(50) });
    locations.push(b.addLocation({ lines, address: 0x400000 + i * 16 }));
  }
  const stacks: number[][] = [];
  for (let s = 0; s < 2000; s++) {
    const depth = 20 + pick(21);
    let stack: number[];
    if (stacks.length > 0 && random() < 0.8) {
      // Fork an existing stack: keep a prefix from the root, grow new frames.
      const base = stacks[zipf(stacks.length)]!;
      const keep = Math.min(base.length, Math.floor(depth * (0.3 + 0.6 * random())));
      stack = base.slice(base.length - keep);
    } else {
      stack = [];
    }
    while (stack.length < depth) stack.unshift(locations[zipf(locations.length)]!);
    stacks.push(stack);
  }
  const handlers = Array.from({ length: 20 }, (_, i) => `/api/v1/endpoint${i}`);
  for (let i = 0; i < 5000; i++) {
    const stack = i < 2000 ? stacks[i]! : stacks[zipf(stacks.length)]!;
    const count = 1 + pick(3);
    b.addSample(stack, [count, count * 10_000_000], [{ key: 'handler', str: handlers[zipf(handlers.length)]! }]);
  }
  return b.build();
}

/** A small seeded PRNG (mulberry32), so benchmark inputs are the same every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
