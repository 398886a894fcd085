import { spawn, type ChildProcess } from 'node:child_process';
import { cliError } from '../cli-error.js';
import { findProgram } from './find-program.js';

/** What to install for each external profiler, as its message says. */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  perf: 'install linux-perf (Debian: `apt-get install linux-perf`; Ubuntu: `apt-get install linux-tools-$(uname -r)`)',
  austin: 'install austin (Debian: `apt-get install austin`; or `pipx install austin-dist`)',
  'py-spy': 'install py-spy (`pip install py-spy`), or use --spy austin',
  rbspy: 'install rbspy (`cargo install rbspy`, or a release binary from github.com/rbspy/rbspy)',
};

/** The profiler's path; ERR_CLI_SPY_NOT_INSTALLED naming what to install when it is missing. */
export function requireProgram(name: string): string {
  const path = findProgram(name);
  if (path === null) {
    throw cliError(
      'ERR_CLI_SPY_NOT_INSTALLED',
      `${name} is not installed (not on PATH): ${INSTALL_HINTS[name] ?? `install ${name}`}`,
      {
        program: name,
      },
    );
  }
  return path;
}

/** ERR_CLI_NO_SUCH_PROCESS unless `pid` is a live process this user may signal. */
export function requireProcess(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0)
    throw cliError('ERR_CLI_NO_SUCH_PROCESS', `--pid must be a positive integer, got ${pid}`);
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw cliError(
      'ERR_CLI_NO_SUCH_PROCESS',
      code === 'EPERM'
        ? `process ${pid} belongs to another user; run kiln as that user or as root`
        : `no process ${pid}`,
      { pid },
    );
  }
}

/** Keeps the last `maxBytes` of a stream's text, for error messages. */
export class OutputTail {
  private text = '';
  constructor(private readonly maxBytes = 4_096) {}
  add(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.maxBytes);
  }
  toString(): string {
    return this.text.trim();
  }
}

export interface ProfilerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Starts an external profiler with no stdin; resolves once it runs (rejects with
 * ERR_CLI_SPY_FAILED when it cannot be started). `exited` settles when it ends.
 */
export async function spawnProfiler(
  path: string,
  args: readonly string[],
): Promise<{ child: ChildProcess; exited: Promise<ProfilerExit> }> {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<ProfilerExit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(cliError('ERR_CLI_SPY_FAILED', `${path} did not start: ${err.message}`)));
  });
  return { child, exited };
}
