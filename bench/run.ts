// npm run bench: prints markdown tables for BENCHMARKS.md. BENCH_RUNS and BENCH_ROUND_MS tune
// the harness (defaults 9 rounds of 250 ms per case).
import { cpus } from 'node:os';
import { benchFlamebearer, benchFolded, benchMerge, benchPprof } from './formats.js';
import { benchStorage } from './storage.js';

const only = process.argv.slice(2);
type Section = [string, () => string | Promise<string>];
const sections: Section[] = [
  ['pprof decode-and-build', benchPprof],
  ['folded parse', benchFolded],
  ['merge', benchMerge],
  ['flamebearer encode', benchFlamebearer],
  ['storage', benchStorage],
  // Only with BENCH_BASE (another checkout to compare with); see bench/storage-ab.ts.
  ...(process.env['BENCH_BASE']
    ? [
        ['storage-ab', async () => (await import('./storage-ab.js')).benchStorageAb()] satisfies Section,
        // Two processes at once, one per CPU: see bench/storage-paired.ts.
        ['storage-paired', async () => (await import('./storage-paired.js')).benchStoragePaired()] satisfies Section,
      ]
    : []),
  ['server', async () => (await import('./server.js')).benchServer()],
  ['browser', async () => (await import('./browser.js')).benchBrowser()],
  ['agent', async () => (await import('./agent.js')).benchAgent()],
];

console.log(
  `# bench/formats — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? '?'} × ${cpus().length}\n`,
);
for (const [name, run] of sections) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  console.log(`## ${name}\n\n${await run()}\n`);
}
