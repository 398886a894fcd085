import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { table } from './harness.js';

/**
 * The agent's overhead: the same program with Kiln's agent, with the official @pyroscope/nodejs
 * 0.6.4 and, on request, with Kiln's agent and every slice or request in `wrapWithLabels` (which
 * turns on its async hook), each against the same program without an agent
 * (bench/agent-workload.ts).
 *
 * **Paired runs.** The program with an agent and the program without one run at the same time,
 * each pinned to a CPU of its own (taskset), and swap CPUs every round: whatever else the machine
 * does at that moment slows both alike, so their ratio holds where one-after-another runs on a
 * shared machine drift by more than the effect being measured. The order of the agents rotates
 * each round. Each figure is the median over rounds of the pair's ratio, then (min … max).
 *
 * - cpu: throughput (units/s) and CPU time per unit (every thread of the process).
 * - io: both servers get the same offered load, BENCH_AGENT_IO_RATE requests/s each from 16
 *   keep-alive connections paced by this process (a service is rarely saturated, and a paced
 *   load does not favour whichever server happens to answer faster). The cost is CPU time per
 *   request (every thread of the server: V8's profiler thread and libuv's pool count), and
 *   throughput is what one core serves at that cost: requests per CPU-second. The rate actually
 *   served is checked against the offered one.
 *
 * Steady state, as in production: both agents run with their default upload interval (10 s),
 * the warm-up holds one whole collect-encode-upload cycle (first-use costs such as compiling the
 * agents' own code stay out of the figures) and each measured window holds two more. Both agents
 * upload to a sink server in this process (HTTP 200 to everything, counting uploads), so the
 * export path runs but no server's CPU competes with the programs.
 *
 * BENCH_AGENT_ROUNDS (default 6, even so each side sits on each CPU equally often),
 * BENCH_UPLOAD_INTERVAL_MS (10 000), BENCH_WARMUP_MS (upload interval + 2 000),
 * BENCH_MEASURE_MS (twice the upload interval), BENCH_AGENT_IO_RATE (2 500) tune it;
 * BENCH_KILN_OPTIONS (JSON AgentOptions, e.g. `{"heap":false}`) changes Kiln's agent only,
 * BENCH_AGENT_WORKLOADS (`cpu,io`) picks the workloads and BENCH_AGENTS the agents: by default
 * `kiln,official,none` (`none`: the A/A check, the program without an agent on both sides, which
 * shows how far the method's own noise reaches); `kiln-labels` adds Kiln's agent with labels.
 * Needs two CPUs and taskset.
 */
const WORKLOAD = fileURLToPath(new URL('./agent-workload.ts', import.meta.url));
/** What runs beside the program without an agent; `none` there is the A/A check of the method's noise. */
const WITH_AGENT = ['kiln', 'kiln-labels', 'official', 'none'] as const;
type WithAgent = (typeof WITH_AGENT)[number];
type Workload = 'cpu' | 'io';
const AGENT_NAMES: Record<WithAgent, string> = {
  kiln: 'Kiln',
  'kiln-labels': 'Kiln + labels',
  official: '@pyroscope/nodejs 0.6.4',
  none: 'A/A (no agent on either side)',
};
const DEFAULT_AGENTS: WithAgent[] = ['kiln', 'official', 'none'];

interface Settings {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  uploadIntervalMs: number;
  ioRate: number;
  connections: number;
  workloads: Workload[];
  agents: WithAgent[];
}

function settings(): Settings {
  const uploadIntervalMs = Number(process.env['BENCH_UPLOAD_INTERVAL_MS'] ?? 10_000);
  return {
    rounds: Number(process.env['BENCH_AGENT_ROUNDS'] ?? 6),
    warmupMs: Number(process.env['BENCH_WARMUP_MS'] ?? uploadIntervalMs + 2_000),
    measureMs: Number(process.env['BENCH_MEASURE_MS'] ?? 2 * uploadIntervalMs),
    uploadIntervalMs,
    ioRate: Number(process.env['BENCH_AGENT_IO_RATE'] ?? 2_500),
    connections: 16,
    workloads: (process.env['BENCH_AGENT_WORKLOADS'] ?? 'cpu,io').split(',') as Workload[],
    agents: agentsFromEnv(),
  };
}

function agentsFromEnv(): WithAgent[] {
  const names = (process.env['BENCH_AGENTS'] ?? DEFAULT_AGENTS.join(',')).split(',');
  const unknown = names.filter((name) => !(WITH_AGENT as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`BENCH_AGENTS: unknown ${unknown.join(', ')} (known: ${WITH_AGENT.join(', ')})`);
  return names as WithAgent[];
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

function startChild(agent: WithAgent, workload: Workload, cpu: number, sinkUrl: string, s: Settings): ChildProcess {
  const argv = [
    '-c',
    String(cpu),
    process.execPath,
    '--conditions=source',
    '--import',
    'tsx',
    WORKLOAD,
    agent,
    workload,
  ];
  return spawn('taskset', argv, {
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

/** One process's figures: operations per second, and its CPU time (all threads) per 1 000 operations. */
interface Measured {
  opsPerSec: number;
  cpuMsPerKilo: number;
}

/** The same program with and without `agent`, at the same time, on CPUs `cpus[0]` and `cpus[1]`. */
type PairRun = (
  agent: WithAgent,
  cpus: [number, number],
  sinkUrl: string,
  s: Settings,
) => Promise<[Measured, Measured]>;

const measureCpuPair: PairRun = async (agent, cpus, sinkUrl, s) => {
  const children = [startChild('none', 'cpu', cpus[0], sinkUrl, s), startChild(agent, 'cpu', cpus[1], sinkUrl, s)];
  try {
    const [none, withAgent] = await Promise.all(
      children.map(async (child) => JSON.parse(await lineFrom(child, 'RESULT ')) as Measured),
    );
    return [none!, withAgent!];
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
};

const CLOCK_TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * A process's user + system CPU time so far, every thread (ended ones too), from /proc (Linux).
 * In clock ticks (10 ms), which is fine against windows of seconds of CPU.
 */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

/** Sends `rate` requests/s to `port` over `connections` keep-alive sockets until stopped. */
class PacedLoad {
  counting = false;
  done = 0;
  private stopped = false;
  private readonly pool: http.Agent;
  private readonly loops: Promise<void>[];

  constructor(port: number, rate: number, connections: number) {
    this.pool = new http.Agent({ keepAlive: true, maxSockets: connections });
    const start = performance.now();
    const gapMs = (connections * 1000) / rate;
    this.loops = Array.from({ length: connections }, async (_, lane) => {
      for (let i = 0; !this.stopped; i++) {
        // Lane `lane`'s i-th request is due at a fixed time, so a slow answer is caught up on.
        const wait = start + (lane * 1000) / rate + i * gapMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await this.request(port);
        if (this.counting) this.done++;
      }
    });
  }

  private request(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/cart', agent: this.pool }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    this.pool.destroy();
  }
}

const measureIoPair: PairRun = async (agent, cpus, sinkUrl, s) => {
  const children = [startChild('none', 'io', cpus[0], sinkUrl, s), startChild(agent, 'io', cpus[1], sinkUrl, s)];
  const loads: PacedLoad[] = [];
  try {
    const ports = await Promise.all(children.map(async (child) => Number(await lineFrom(child, 'READY '))));
    for (const port of ports) loads.push(new PacedLoad(port, s.ioRate, s.connections));
    await new Promise((resolve) => setTimeout(resolve, s.warmupMs));
    for (const load of loads) load.counting = true;
    const start = performance.now();
    const cpuStart = children.map((child) => cpuMsOf(child.pid!));
    await new Promise((resolve) => setTimeout(resolve, s.measureMs));
    const elapsedMs = performance.now() - start;
    const measured = children.map((child, i): Measured => {
      const served = loads[i]!.done;
      return {
        opsPerSec: (served * 1000) / elapsedMs,
        cpuMsPerKilo: ((cpuMsOf(child.pid!) - cpuStart[i]!) * 1000) / served,
      };
    });
    return [measured[0]!, measured[1]!];
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
    for (const child of children) child.kill('SIGKILL');
  }
};

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
  if (availableParallelism() < 2) throw new Error('bench agent runs its two programs side by side: it needs two CPUs');
  const sink = new Sink();
  const sinkUrl = await sink.start();
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    for (const workload of s.workloads) {
      const run = workload === 'cpu' ? measureCpuPair : measureIoPair;
      const none: Measured[] = [];
      const throughput = new Map<WithAgent, number[]>(s.agents.map((agent) => [agent, []]));
      const cpuCost = new Map<WithAgent, number[]>(s.agents.map((agent) => [agent, []]));
      const servedShort: string[] = [];
      for (let round = 0; round < s.rounds; round++) {
        const cpus: [number, number] = round % 2 ? [1, 0] : [0, 1];
        const order = s.agents.map((_, i) => s.agents[(i + round) % s.agents.length]!);
        for (const agent of order) {
          const [without, withAgent] = await run(agent, cpus, sinkUrl, s);
          none.push(without);
          cpuCost.get(agent)!.push(withAgent.cpuMsPerKilo / without.cpuMsPerKilo);
          if (workload === 'cpu') {
            throughput.get(agent)!.push(withAgent.opsPerSec / without.opsPerSec);
          } else {
            // What one core serves at that cost; a server that fell behind the paced load is noted.
            throughput.get(agent)!.push(without.cpuMsPerKilo / withAgent.cpuMsPerKilo);
            for (const m of [without, withAgent]) {
              if (m.opsPerSec < s.ioRate * 0.98) servedShort.push(`${Math.round(m.opsPerSec)}/s`);
            }
          }
        }
      }
      rows.push([
        workload === 'cpu' ? 'CPU-bound (JSON + sort, 10 ms slices)' : 'I/O-bound (HTTP: fs read + sha256 + JSON)',
        workload === 'cpu'
          ? `${Math.round(median(none.map((m) => m.opsPerSec))).toLocaleString('en-US')} units/s, ` +
            `${median(none.map((m) => m.cpuMsPerKilo)).toFixed(1)} CPU ms / 1k`
          : `${s.ioRate.toLocaleString('en-US')} requests/s offered, ` +
            `${Math.round(1e6 / median(none.map((m) => m.cpuMsPerKilo))).toLocaleString('en-US')} requests per CPU-second`,
        ...s.agents.map((agent) => spread(throughput.get(agent)!)),
        ...s.agents.map((agent) => spread(cpuCost.get(agent)!)),
      ]);
      if (servedShort.length) {
        notes.push(`${workload}: servers fell behind the offered ${s.ioRate}/s: ${servedShort.join(', ')}.`);
      }
      if (throughput.has('kiln') && throughput.has('official')) {
        const kiln = median(throughput.get('kiln')!);
        const official = median(throughput.get('official')!);
        // How far the method itself strays: the A/A pair's widest ratio, when it ran.
        const aa = throughput.get('none');
        const noisePp = aa ? Math.max(...aa.map((r) => Math.abs(r - 1))) * 100 : 0;
        const gapPp = (official - kiln) * 100;
        const versus =
          kiln >= official
            ? 'met'
            : gapPp <= noisePp
              ? `${gapPp.toFixed(1)} pp worse, within the A/A pair's ±${noisePp.toFixed(1)} pp: no difference this run can resolve`
              : 'not met';
        notes.push(
          `${workload}: Kiln's agent costs ${((1 - kiln) * 100).toFixed(1)} % of throughput (target at most 2 %: ` +
            `${kiln >= 0.98 ? 'met' : 'not met'}), the official SDK ${((1 - official) * 100).toFixed(1)} % ` +
            `(no worse than the official SDK: ${versus}).`,
        );
      }
    }
    const uploads = [...sink.uploads].map(([app, n]) => `${app}: ${n}`).join(', ');
    notes.push(`Uploads the sink received: ${uploads}.`);
  } finally {
    await sink.close();
  }
  return [
    `${s.rounds} rounds; per round and agent, the program with the agent and without one side by side, each ` +
      `on a CPU of its own (swapped every round); ${s.measureMs} ms measured after ${s.warmupMs} ms of warm-up; ` +
      `uploads every ${s.uploadIntervalMs} ms. Each change is the median over rounds of the pair's ratio ` +
      "(min … max). CPU time per operation counts every thread of the process (the profilers' too); the io " +
      "workload's throughput is requests per CPU-second at a paced load.\n",
    table(
      [
        'workload',
        'no agent (median)',
        ...s.agents.map((agent) => `${AGENT_NAMES[agent]}: throughput`),
        ...s.agents.map((agent) => `${AGENT_NAMES[agent]}: CPU time per op`),
      ],
      rows,
    ),
    '',
    ...notes,
  ].join('\n');
}
