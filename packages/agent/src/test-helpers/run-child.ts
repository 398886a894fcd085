import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WORKLOAD = fileURLToPath(new URL('./children/workload.ts', import.meta.url));
export const REGISTER = fileURLToPath(new URL('../register.ts', import.meta.url));
/** Resolved here, so that children running in another directory find it too. */
const TSX = import.meta.resolve('tsx');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  exitedAtMs: number;
}

export interface RunChildOptions {
  env?: Record<string, string>;
  /** Extra node flags before the script, e.g. ['--import', REGISTER]. */
  nodeArgs?: string[];
  /** Working directory of the child. Default this process's. */
  cwd?: string;
  /** Kill after this long (a test failure, not a hang). Default 15 000. */
  timeoutMs?: number;
}

/**
 * Runs a real Node process on our TypeScript sources (tsx and the "source" export condition,
 * as scripts/test.mjs runs the tests), capturing its output and exit.
 */
export function runChild(args: string[], options: RunChildOptions = {}): Promise<ChildResult> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', TSX, ...(options.nodeArgs ?? []), ...args],
    {
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const exitedAtMs = Date.now();
      resolve({ code, signal, stdout, stderr, durationMs: exitedAtMs - started, exitedAtMs });
    });
  });
}

/** The stats line children/workload.ts prints to stderr after stop(). */
export function statsFrom(stderr: string): Record<string, number> {
  const line = stderr.split('\n').find((l) => l.startsWith('KILN_TEST_STATS '));
  if (!line) throw new Error(`no stats line in child stderr:\n${stderr}`);
  return JSON.parse(line.slice('KILN_TEST_STATS '.length)) as Record<string, number>;
}
