import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { table } from './harness.js';

/**
 * The agent's overhead: the same program without an agent, with Kiln's agent, with Kiln's agent
 * and every slice or request in `wrapWithLabels` (which turns on its async hook), and with the
 * official @pyroscope/nodejs 0.6.4, each in its own child process (bench/agent-workload.ts), in
 * rounds of none / kiln / kiln-labels / official (rotated each round, so no agent always runs
 * first or last), so that machine noise hits all alike. Each agent's figures are medians over
 * rounds of its process against the same round's no-agent process: CPU time per operation (all
 * threads, so the profilers' own threads count; the figure a shared, noisy machine moves least)
 * and throughput.
 *
 * Both agents upload to a sink server in this process (HTTP 200 to everything, counting
 * uploads), so the export path runs but no server's CPU competes with the program. The io
 * workload's clients run here too: 16 keep-alive connections, each sending its next request as
 * soon as the last is answered.
 *
 * BENCH_AGENT_ROUNDS (default 7), BENCH_MEASURE_MS (5 000 per process) and
 * BENCH_UPLOAD_INTERVAL_MS (2 000: five times as often as the agents' default 10 s, so each
 * measured window holds two collect-encode-upload cycles of CPU and heap) tune it;
 * BENCH_KILN_OPTIONS (JSON AgentOptions, e.g. `{"heap":false}`) changes Kiln's agent only, and
 * BENCH_AGENT_WORKLOADS (`cpu,io`) picks the workloads.
 */
const WORKLOAD = fileURLToPath(new URL('./agent-workload.ts', import.meta.url));
const AGENTS = ['none', 'kiln', 'kiln-labels', 'official'] as const;
type AgentKind = (typeof AGENTS)[number];
type WithAgent = Exclude<AgentKind, 'none'>;
const WITH_AGENT: readonly WithAgent[] = ['kiln', 'kiln-labels', 'official'];
type Workload = 'cpu' | 'io';

interface Settings {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  uploadIntervalMs: number;
  connections: number;
  workloads: Workload[];
}

function settings(): Settings {
  return {
    rounds: Number(process.env['BENCH_AGENT_ROUNDS'] ?? 7),
    warmupMs: 1_000,
    measureMs: Number(process.env['BENCH_MEASURE_MS'] ?? 5_000),
    uploadIntervalMs: Number(process.env['BENCH_UPLOAD_INTERVAL_MS'] ?? 2_000),
    connections: 16,
    workloads: (process.env['BENCH_AGENT_WORKLOADS'] ?? 'cpu,io').split(',') as Workload[],
  };
}

/** Answers every upload with 200 and counts them per series name's app. */
class Sink {
  readonly uploads = new Map<string, number>();
  private readonly server = http.createServer((req, res) => {
    const app = new URL(req.url ?? '/', 'http://sink').searchParams.get('name')?.split('{')[0] ?? '?';
    req.resume();
    req.on('end', () => {
      this.uploads.set(app, (this.uploads.get(app) ?? 0) + 1);
      res.end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function startChild(agent: AgentKind, workload: Workload, sinkUrl: string, s: Settings): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKLOAD, agent, workload], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      BENCH_SINK_URL: sinkUrl,
      BENCH_UPLOAD_INTERVAL_MS: String(s.uploadIntervalMs),
      BENCH_WARMUP_MS: String(s.warmupMs),
      BENCH_MEASURE_MS: String(s.measureMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves with the first stdout line starting with `prefix` (without it). */
function lineFrom(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith(prefix));
      if (line !== undefined) {
        child.stdout!.off('data', onData);
        resolve(line.slice(prefix.length).trim());
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bench child exited (${code}) before printing ${prefix}`)));
  });
}

/** One process's figures: throughput, and its CPU time (all threads) per 1 000 operations. */
interface Measured {
  opsPerSec: number;
  cpuMsPerKilo: number;
}

async function measureCpu(agent: AgentKind, sinkUrl: string, s: Settings): Promise<Measured> {
  const child = startChild(agent, 'cpu', sinkUrl, s);
  const result = JSON.parse(await lineFrom(child, 'RESULT ')) as Measured;
  child.kill('SIGKILL');
  return result;
}

const CLOCK_TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** A process's user + system CPU time so far, every thread, from /proc (Linux). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

async function measureIo(agent: AgentKind, sinkUrl: string, s: Settings): Promise<Measured> {
  const child = startChild(agent, 'io', sinkUrl, s);
  try {
    const port = Number(await lineFrom(child, 'READY '));
    const pool = new http.Agent({ keepAlive: true, maxSockets: s.connections });
    const request = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/cart', agent: pool }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
      });
    let counting = false;
    let done = 0;
    let stop = false;
    const loops = Array.from({ length: s.connections }, async () => {
      while (!stop) {
        await request();
        if (counting) done++;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, s.warmupMs));
    counting = true;
    const start = performance.now();
    const cpuStartMs = cpuMsOf(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, s.measureMs));
    const elapsedMs = performance.now() - start;
    const counted = done;
    const cpuMs = cpuMsOf(child.pid!) - cpuStartMs;
    stop = true;
    await Promise.all(loops);
    pool.destroy();
    return { opsPerSec: (counted * 1000) / elapsedMs, cpuMsPerKilo: (cpuMs * 1000) / counted };
  } finally {
    child.kill('SIGKILL');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A ratio as a change in percent: median over rounds, then the range. */
function spread(ratios: number[]): string {
  const pct = (r: number): string => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)} %`;
  return `**${pct(median(ratios))}** (${pct(Math.min(...ratios))} … ${pct(Math.max(...ratios))})`;
}

export async function benchAgent(): Promise<string> {
  const s = settings();
  const sink = new Sink();
  const sinkUrl = await sink.start();
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    for (const workload of s.workloads) {
      const none: Measured[] = [];
      const throughput: Record<WithAgent, number[]> = { kiln: [], 'kiln-labels': [], official: [] };
      const cpuCost: Record<WithAgent, number[]> = { kiln: [], 'kiln-labels': [], official: [] };
      for (let round = 0; round < s.rounds; round++) {
        const order = AGENTS.map((_, i) => AGENTS[(i + round) % AGENTS.length]!);
        const got: Partial<Record<AgentKind, Measured>> = {};
        for (const agent of order) {
          got[agent] = workload === 'cpu' ? await measureCpu(agent, sinkUrl, s) : await measureIo(agent, sinkUrl, s);
        }
        none.push(got.none!);
        for (const agent of WITH_AGENT) {
          throughput[agent].push(got[agent]!.opsPerSec / got.none!.opsPerSec);
          cpuCost[agent].push(got[agent]!.cpuMsPerKilo / got.none!.cpuMsPerKilo);
        }
      }
      const unit = workload === 'cpu' ? 'units/s' : 'requests/s';
      rows.push([
        workload === 'cpu' ? 'CPU-bound (JSON + sort, 10 ms slices)' : 'I/O-bound (HTTP: fs read + sha256 + JSON)',
        `${Math.round(median(none.map((m) => m.opsPerSec))).toLocaleString('en-US')} ${unit}, ` +
          `${median(none.map((m) => m.cpuMsPerKilo)).toFixed(1)} CPU ms / 1k`,
        ...WITH_AGENT.map((agent) => spread(cpuCost[agent])),
        ...WITH_AGENT.map((agent) => spread(throughput[agent])),
      ]);
    }
    const uploads = [...sink.uploads].map(([app, n]) => `${app}: ${n}`).join(', ');
    notes.push(`Uploads the sink received: ${uploads}.`);
  } finally {
    await sink.close();
  }
  return [
    `${s.rounds} rounds × (none, kiln, kiln-labels, official) per workload, ${s.measureMs} ms measured per process after ` +
      `${s.warmupMs} ms of warm-up; uploads every ${s.uploadIntervalMs} ms. Each change is the agent's process ` +
      "against the same round's process without an agent: median over rounds (min … max). CPU time per " +
      "operation counts every thread of the process (the profilers' too) and does not move when other " +
      'programs take the CPU; throughput does.\n',
    table(
      [
        'workload',
        'no agent (median)',
        'Kiln: CPU time per op',
        'Kiln + labels: CPU time per op',
        '@pyroscope/nodejs 0.6.4: CPU time per op',
        'Kiln: throughput',
        'Kiln + labels: throughput',
        '@pyroscope/nodejs 0.6.4: throughput',
      ],
      rows,
    ),
    '',
    ...notes,
  ].join('\n');
}
