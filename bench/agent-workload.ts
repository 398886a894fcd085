// The program bench/agent.ts measures, one process per round: argv[2] is the agent (`none`,
// `kiln`, `kiln-labels`: Kiln's agent with every slice or request in wrapWithLabels, `official`),
// argv[3] the workload:
//   cpu  JSON and sort work in 10 ms slices between event-loop turns; after BENCH_WARMUP_MS it
//        counts units for BENCH_MEASURE_MS and prints `RESULT {"opsPerSec":…,"cpuMsPerKilo":…}`
//   io   an HTTP server whose handler reads a 16 KiB file (libuv's thread pool), hashes it and
//        answers JSON; prints `READY <port>` and the parent's clients measure it
// Both agents profile CPU (wall with CPU time, 100 Hz) and heap (512 KiB), and upload every
// BENCH_UPLOAD_INTERVAL_MS to BENCH_SINK_URL.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { wrapWithLabels as WrapWithLabels } from '@kiln/agent';

const agentKind = process.argv[2] ?? 'none';
const workload = process.argv[3] ?? 'cpu';
const sinkUrl = process.env['BENCH_SINK_URL'] ?? 'http://127.0.0.1:1';
const uploadIntervalMs = Number(process.env['BENCH_UPLOAD_INTERVAL_MS'] ?? 2_000);
const warmupMs = Number(process.env['BENCH_WARMUP_MS'] ?? 1_000);
const measureMs = Number(process.env['BENCH_MEASURE_MS'] ?? 5_000);

/** Runs `fn` as the program would with the agent's labels; only `kiln-labels` sets any. */
let labeled: typeof WrapWithLabels = (_labels, fn, ...args) => fn(...args);

async function startAgent(): Promise<void> {
  const appName = `bench-agent.${agentKind}-${workload}`;
  if (agentKind === 'kiln' || agentKind === 'kiln-labels') {
    const { startProfiling, wrapWithLabels } = await import('@kiln/agent');
    if (agentKind === 'kiln-labels') labeled = wrapWithLabels;
    startProfiling({
      appName,
      serverAddress: sinkUrl,
      uploadIntervalMs,
      cpu: { samplingIntervalMicros: 10_000, collectCpuTime: true },
      heap: { samplingIntervalBytes: 512 * 1024, stackDepth: 64 },
      // Overrides for experiments, e.g. {"heap":false}.
      ...(JSON.parse(process.env['BENCH_KILN_OPTIONS'] ?? '{}') as object),
    });
  } else if (agentKind === 'official') {
    const Pyroscope = (await import('@pyroscope/nodejs')).default;
    Pyroscope.init({
      appName,
      serverAddress: sinkUrl,
      flushIntervalMs: uploadIntervalMs,
      wall: { samplingIntervalMicros: 10_000, collectCpuTime: true },
      heap: { samplingIntervalBytes: 512 * 1024, stackDepth: 64 },
    });
    Pyroscope.start();
  }
}

function cpuUnit(seed: number): number {
  const rows: Array<{ id: number; name: string; tags: (string | number)[] }> = [];
  for (let i = 0; i < 200; i++) rows.push({ id: (seed * 31 + i * 17) % 1_009, name: `item-${i}`, tags: ['a', i % 7] });
  rows.sort((a, b) => a.id - b.id);
  return (JSON.parse(JSON.stringify(rows)) as unknown[]).length;
}

async function runCpu(): Promise<void> {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  let units = 0;
  let sink = 0;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) {
    for (const sliceEnd = performance.now() + 10; performance.now() < sliceEnd;) sink += cpuUnit(units++);
    await turn();
  }
  units = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + measureMs;
  while (performance.now() < end) {
    for (const sliceEnd = performance.now() + 10; performance.now() < sliceEnd;) sink += cpuUnit(units++);
    await turn();
  }
  const opsPerSec = (units * 1000) / (performance.now() - start);
  // The whole process's CPU time (every thread: the profilers' too), in ms per 1 000 units.
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerKilo = (cpu.user + cpu.system) / units;
  console.log(`RESULT ${JSON.stringify({ opsPerSec, cpuMsPerKilo, sink })}`);
}

async function runIo(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-agent-'));
  const file = join(dir, 'payload.bin');
  writeFileSync(file, Buffer.alloc(16 * 1024, 'kiln'));
  const server = http.createServer((req, res) =>
    labeled({ route: '/cart' }, () => {
      void readFile(file).then((data) => {
        const hash = createHash('sha256').update(data).digest('hex');
        const items = Array.from({ length: 20 }, (_, i) => ({ i, hash: hash.slice(i, i + 8) }));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ path: req.url, hash, items }));
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`READY ${(server.address() as AddressInfo).port}`);
}

await startAgent();
if (workload === 'io') await runIo();
else {
  await runCpu();
  process.exit(0);
}
