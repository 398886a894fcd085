import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { QuerierService } from '@kiln/api';

/** The repository root, where `node` children run so the SDK's `./path` names start there. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..', '..');

/** One line of the server's pino log (JSON on stdout). */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface KilnExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to the process's exit. */
  exitMs: number;
  log: LogLine[];
  stderr: string;
}

export interface KilnProcess {
  url: string;
  dataDir: string;
  pid: number;
  querier(): Client<typeof QuerierService>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`) and removes the data dir. */
  stop(timeoutMs?: number): Promise<KilnExit>;
}

export interface KilnProcessOptions {
  /** Extra `kiln server` flags. */
  args?: string[];
  readyTimeoutMs?: number;
}

/** Environment for children: no test-runner or loader settings of this process leak in. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/**
 * Starts `kiln server` as a real process, the way a user runs it, on a free port
 * (`--listen 127.0.0.1:0`) with a fresh data directory and self-profiling off. The URL comes
 * from the `kiln server ready` line the server logs at info level.
 */
export async function startKilnProcess(options: KilnProcessOptions = {}): Promise<KilnProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-compat-'));
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      join(import.meta.dirname, 'kiln-cli.ts'),
      'server',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--self-profiling=false',
      '--log-level',
      'info',
      ...(options.args ?? []),
    ],
    { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: LogLine[] = [];
  const junk: string[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  let settled = false;
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      reject(
        new Error(
          `kiln server ${why}\nstdout: ${[...log.map((l) => JSON.stringify(l)), ...junk].join('\n')}\nstderr: ${stderr}`,
        ),
      );
    };
    const timer = setTimeout(() => fail('did not log `kiln server ready` in time'), options.readyTimeoutMs ?? 30_000);
    let rest = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      rest += chunk;
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          junk.push(line);
          continue;
        }
        log.push(parsed);
        if (parsed.msg === 'kiln server ready' && typeof parsed.url === 'string') {
          clearTimeout(timer);
          settled = true;
          resolve(parsed.url);
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(`exited before it was ready (code ${code}, signal ${signal})`);
    });
  });

  let stopping: Promise<KilnExit> | null = null;
  return {
    url,
    dataDir,
    pid: child.pid!,
    querier: () => createClient(QuerierService, createConnectTransport({ baseUrl: url, httpVersion: '1.1' })),
    stop(timeoutMs = 15_000) {
      stopping ??= stopChild(child, exited, timeoutMs).then((exit) => {
        rmSync(dataDir, { recursive: true, force: true });
        return { ...exit, log, stderr };
      });
      return stopping;
    },
  };
}

/** A clean stop: exit code 0 soon after SIGTERM, `kiln server stopped` logged, no warning or error. */
export function assertCleanExit(exit: KilnExit): void {
  assert.equal(exit.signal, null, `killed by ${exit.signal}`);
  assert.equal(exit.code, 0, exit.stderr);
  assert.ok(exit.exitMs < 10_000, `exit took ${Math.round(exit.exitMs)} ms after SIGTERM`);
  assert.ok(
    exit.log.some((l) => l.msg === 'kiln server stopped'),
    'logs `kiln server stopped`',
  );
  assert.deepEqual(
    exit.log.filter((l) => l.level >= 40),
    [],
    'warnings or errors logged',
  );
  assert.equal(exit.stderr, '', 'nothing on stderr');
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; exitMs: number }> {
  const started = performance.now();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await exited;
  clearTimeout(timer);
  return { code, signal, exitMs: performance.now() - started };
}
