// Sustained ingest of two checkouts in two processes at the same time, one per CPU, swapping
// CPUs every round (as bench/agent.ts pairs its programs):
//
//   BENCH_BASE=/tmp/kiln-base npm run bench -- storage-paired     (BENCH_PAIRED_ROUNDS=4)
//
// storage-ab runs both checkouts in one process, so it cannot tell which of them makes V8's
// garbage collector work harder: both share one heap and its collections. Here each checkout
// has a process of its own, and what the machine does meanwhile slows both alike. Each process
// ingests the fleet at full density (400 uploads per 10 s tick into a fresh store) for
// BENCH_PAIRED_WARM_TICKS (12) ticks, then is timed for BENCH_PAIRED_TICKS (18). Needs two
// CPUs and taskset.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { table } from './harness.js';
import { linkModules } from './storage-ab.js';

/** What one process measured over its timed ticks. */
interface PairedResult {
  profiles: number;
  /** Process CPU (every thread) and the main thread's alone, ms. */
  cpuMs: number;
  mainMs: number;
}

export async function benchStoragePaired(base = process.env['BENCH_BASE']): Promise<string> {
  if (base === undefined) throw new Error('BENCH_BASE names the other checkout (see bench/storage-ab.ts)');
  const roots = [resolve(base), resolve(import.meta.dirname, '..')];
  linkModules(roots[0]!);
  const rounds = Number(process.env['BENCH_PAIRED_ROUNDS'] ?? 4);
  const results: PairedResult[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    // Round 0: base on CPU 0; round 1: base on CPU 1; ...
    const [a, b] = await Promise.all(roots.map((root, i) => runChild(root, (i + round) % 2)));
    results[0]!.push(a!);
    results[1]!.push(b!);
  }
  const perUpload = (r: PairedResult, ms: number): string =>
    `${(ms / r.profiles).toFixed(3)} ms, ${Math.round(r.profiles / (ms / 1000))}/s`;
  const rows = results[0]!.map((a, i) => {
    const b = results[1]![i]!;
    return [
      `round ${i + 1}`,
      perUpload(a, a.cpuMs),
      perUpload(b, b.cpuMs),
      `${(a.cpuMs / a.profiles / (b.cpuMs / b.profiles)).toFixed(3)}×`,
      `${(a.mainMs / a.profiles).toFixed(3)} / ${(b.mainMs / b.profiles).toFixed(3)}`,
    ];
  });
  const ratios = results[0]!.map((a, i) => a.cpuMs / a.profiles / (results[1]![i]!.cpuMs / results[1]![i]!.profiles));
  ratios.sort((x, y) => x - y);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  return [
    table(
      [
        `sustained ingest at full density, CPU of all threads per upload (${results[0]![0]!.profiles.toLocaleString('en-US')} uploads a round)`,
        `base (${base})`,
        'this checkout',
        'rate: this / base',
        'main thread ms: base / this',
      ],
      rows,
    ),
    '',
    `Median ratio over ${rounds} rounds: **${median.toFixed(3)}×** (range ${ratios[0]!.toFixed(3)}–${ratios.at(-1)!.toFixed(3)}).`,
  ].join('\n');
}

function runChild(root: string, cpu: number): Promise<PairedResult> {
  const child = spawn(
    'taskset',
    [
      '-c',
      String(cpu),
      process.execPath,
      '--conditions=source',
      '--import',
      'tsx',
      join(import.meta.dirname, 'storage-paired-child.ts'),
      root,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`storage-paired-child for ${root} exited with ${code}`));
      else resolvePromise(JSON.parse(out.trim().split('\n').at(-1)!) as PairedResult);
    });
  });
}
