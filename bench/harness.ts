import { readFileSync } from 'node:fs';

/**
 * A small benchmark harness: each case warms up, then runs `runs` rounds of at least
 * `minRoundMs` each; we report the median rate across rounds, with min and max. Cases meant to
 * be compared run in the same process, one after another, so their ratio holds even on a
 * noisy machine.
 */
export interface BenchResult {
  name: string;
  /** Operations per second, median of the rounds. */
  opsPerSec: number;
  min: number;
  max: number;
}

export interface BenchOptions {
  runs?: number;
  minRoundMs?: number;
  warmupMs?: number;
}

export function bench(name: string, fn: () => unknown, options: BenchOptions = {}): BenchResult {
  const runs = options.runs ?? Number(process.env['BENCH_RUNS'] ?? 9);
  const minRoundMs = options.minRoundMs ?? Number(process.env['BENCH_ROUND_MS'] ?? 250);
  const warmupMs = options.warmupMs ?? 300;
  let sink: unknown;
  const warmEnd = performance.now() + warmupMs;
  let warmIters = 0;
  while (performance.now() < warmEnd || warmIters < 3) {
    sink = fn();
    warmIters++;
  }
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let iters = 0;
    const start = performance.now();
    let elapsed: number;
    do {
      sink = fn();
      iters++;
      elapsed = performance.now() - start;
    } while (elapsed < minRoundMs);
    rates.push((iters * 1000) / elapsed);
  }
  void sink;
  rates.sort((a, b) => a - b);
  return { name, opsPerSec: rates[Math.floor(rates.length / 2)]!, min: rates[0]!, max: rates[rates.length - 1]! };
}

export function formatRate(ops: number): string {
  if (ops >= 1000) return Math.round(ops).toLocaleString('en-US');
  if (ops >= 10) return ops.toFixed(1);
  return ops.toFixed(2);
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** The main thread's time on a CPU (Linux schedstat, in ns), ms; NaN elsewhere. */
export function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}
