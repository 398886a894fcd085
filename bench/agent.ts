import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { table } from './harness.js';

/**
 * The agent's overhead: throughput of the same program without an agent, with Kiln's agent and
 * with the official @pyroscope/nodejs 0.6.4, each in its own child process (bench/agent-workload.ts),
 * in rounds of none / kiln / official (rotated each round, so no agent always runs first or
 * last), so that machine noise hits all three alike. Each agent's figure is the median over
 * rounds of its throughput divided by the same round's no-agent throughput.
 *
 * Both agents upload to a sink server in this process (HTTP 200 to everything, counting
 * uploads), so the export path runs but no server's CPU competes with the program. The io
 * workload's clients run here too: 16 keep-alive connections, each sending its next request as
 * soon as the last is answered.
 *
 * BENCH_AGENT_ROUNDS (default 7), BENCH_MEASURE_MS (5 000 per process) and
 * BENCH_UPLOAD_INTERVAL_MS (2 000: five times as often as the agents' default 10 s, so each
 * measured window holds two collect-encode-upload cycles of CPU and heap) tune it;
 * BENCH_KILN_OPTIONS (JSON AgentOptions, e.g. `{"heap":false}`) changes Kiln's agent only.
 */
const WORKLOAD = fileURLToPath(new URL('./agent-workload.ts', import.meta.url));
const AGENTS = ['none', 'kiln', 'official'] as const;
type AgentKind = (typeof AGENTS)[number];
type Workload = 'cpu' | 'io';

interface Settings {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  uploadIntervalMs: number;
  connections: number;
}

function settings(): Settings {
  return {
    rounds: Number(process.env['BENCH_AGENT_ROUNDS'] ?? 7),
    warmupMs: 1_000,
    measureMs: Number(process.env['BENCH_MEASURE_MS'] ?? 5_000),
    uploadIntervalMs: Number(process.env['BENCH_UPLOAD_INTERVAL_MS'] ?? 2_000),
    connections: 16,
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

async function measureCpu(agent: AgentKind, sinkUrl: string, s: Settings): Promise<number> {
  const child = startChild(agent, 'cpu', sinkUrl, s);
  const result = JSON.parse(await lineFrom(child, 'RESULT ')) as { opsPerSec: number };
  child.kill('SIGKILL');
  return result.opsPerSec;
}

async function measureIo(agent: AgentKind, sinkUrl: string, s: Settings): Promise<number> {
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
    await new Promise((resolve) => setTimeout(resolve, s.measureMs));
    const elapsedMs = performance.now() - start;
    const counted = done;
    stop = true;
    await Promise.all(loops);
    pool.destroy();
    return (counted * 1000) / elapsedMs;
  } finally {
    child.kill('SIGKILL');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pct(ratio: number): string {
  return `${((ratio - 1) * 100).toFixed(1)} %`;
}

export async function benchAgent(): Promise<string> {
  const s = settings();
  const sink = new Sink();
  const sinkUrl = await sink.start();
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    for (const workload of ['cpu', 'io'] as const) {
      const rates: Record<AgentKind, number[]> = { none: [], kiln: [], official: [] };
      const ratios: Record<'kiln' | 'official', number[]> = { kiln: [], official: [] };
      for (let round = 0; round < s.rounds; round++) {
        const order = AGENTS.map((_, i) => AGENTS[(i + round) % AGENTS.length]!);
        const got: Partial<Record<AgentKind, number>> = {};
        for (const agent of order) {
          got[agent] =
            workload === 'cpu' ? await measureCpu(agent, sinkUrl, s) : await measureIo(agent, sinkUrl, s);
          rates[agent].push(got[agent]);
        }
        ratios.kiln.push(got.kiln! / got.none!);
        ratios.official.push(got.official! / got.none!);
      }
      const cell = (agent: 'kiln' | 'official'): string => {
        const r = ratios[agent];
        return `${median(r).toFixed(3)} (${Math.min(...r).toFixed(3)}–${Math.max(...r).toFixed(3)})`;
      };
      const unit = workload === 'cpu' ? 'units/s' : 'requests/s';
      rows.push([
        workload === 'cpu' ? 'CPU-bound (JSON + sort, 10 ms slices)' : 'I/O-bound (HTTP, fs read + sha256 + JSON)',
        `${Math.round(median(rates.none)).toLocaleString('en-US')} ${unit}`,
        cell('kiln'),
        `**${pct(median(ratios.kiln))}**`,
        cell('official'),
        `**${pct(median(ratios.official))}**`,
        (median(ratios.kiln) / median(ratios.official)).toFixed(3),
      ]);
    }
    const uploads = [...sink.uploads].map(([app, n]) => `${app}: ${n}`).join(', ');
    notes.push(`Uploads the sink received: ${uploads}.`);
  } finally {
    await sink.close();
  }
  return [
    `${s.rounds} rounds × (none, kiln, official) per workload, ${s.measureMs} ms measured per process after ` +
      `${s.warmupMs} ms of warm-up; uploads every ${s.uploadIntervalMs} ms. Ratios: throughput with the agent / ` +
      'without, same round; median (min–max over rounds).\n',
    table(
      [
        'workload',
        'no agent (median)',
        'Kiln agent ratio',
        'Kiln throughput change',
        '@pyroscope/nodejs 0.6.4 ratio',
        'official throughput change',
        'Kiln / official',
      ],
      rows,
    ),
    '',
    ...notes,
  ].join('\n');
}
