import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFlamebearer, selectTopFunctions, type Flamebearer, type TopFunction } from '@kiln/model';

export const REPO_ROOT = join(import.meta.dirname, '../../../..');
export const PROGRAMS = join(import.meta.dirname, 'programs');

/** Debian's austin reads Python 3.8 only; the machine's pyenv has it (KILN_PYTHON38 overrides). */
export const PYTHON38 = process.env.KILN_PYTHON38 ?? join(homedir(), '.pyenv/versions/3.8.18/bin/python3.8');

export interface KilnRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `kiln ARGS` from the TypeScript sources (as bin/kiln.js runs main()), in its own
 * process, with `input` written to its stdin.
 */
export interface StartedKiln {
  child: ChildProcess;
  done: Promise<KilnRun>;
  /** Standard output so far. */
  stdout(): string;
}

export function startKiln(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): StartedKiln {
  const script = `import('@kiln/cli').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); })`;
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin!.end(options.input ?? '');
  const done = new Promise<KilnRun>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stdout: () => stdout };
}

export async function outputSoFar(kiln: StartedKiln): Promise<string> {
  return kiln.stdout();
}

export function runKiln(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<KilnRun> {
  return startKiln(args, options).done;
}

/** The merged flame graph's functions for one service from the server's /pyroscope/render. */
export async function topFunctions(
  serverUrl: string,
  app: string,
  profileType: string,
): Promise<{ total: number; top: TopFunction[] }> {
  const params = new URLSearchParams({ query: `${profileType}{service_name="${app}"}`, from: 'now-1h', until: 'now' });
  const res = await fetch(`${serverUrl}/pyroscope/render?${params}`);
  if (!res.ok) throw new Error(`render answered ${res.status}: ${await res.text()}`);
  const { flamebearer } = (await res.json()) as { flamebearer: Flamebearer };
  return { total: flamebearer.numTicks, top: selectTopFunctions(decodeFlamebearer(flamebearer)) };
}

/** The share of `total` whose stack ends in a function whose name includes `name`. */
export function selfShare(result: { total: number; top: TopFunction[] }, name: string): number {
  const self = result.top.filter((f) => f.name.includes(name)).reduce((s, f) => s + f.self, 0);
  return result.total === 0 ? 0 : self / result.total;
}

/** Compiles programs/burn.c with frame pointers (gcc); returns the binary's path. */
export function buildCProgram(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'kiln-burn-c-')), 'burn-c');
  const r = spawnSync('gcc', ['-O1', '-fno-omit-frame-pointer', '-g', '-o', out, join(PROGRAMS, 'burn.c')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr || r.error?.message}`);
  return out;
}

/** Builds programs/burn.go with Debian's Go; returns the binary's path. */
export function buildGoProgram(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-burn-go-'));
  const out = join(dir, 'burn-go');
  const r = spawnSync('go', ['build', '-o', out, join(PROGRAMS, 'burn.go')], {
    encoding: 'utf8',
    // One build cache for every test run: the standard library is compiled once, not per test.
    env: { ...process.env, GOCACHE: join(tmpdir(), 'kiln-test-go-cache'), GO111MODULE: 'off', GOFLAGS: '' },
  });
  if (r.status !== 0) throw new Error(`go build failed: ${r.stderr || r.error?.message}`);
  return out;
}

export function hasProgram(path: string): boolean {
  return existsSync(path) || spawnSync('sh', ['-c', `command -v ${path}`]).status === 0;
}

/** Polls `check` until it returns a value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
