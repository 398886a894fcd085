import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { pickSpy, runtimeOfPid } from '../spies/choose-spy.js';
import { requireProcess } from '../spies/spawn-profiler.js';
import type { SpyName } from '../spies/spy.js';
import { attachOrWarn, requireSpyProgram, stopQuietly, uploaderFor, warn } from './exec.js';
import {
  addServerOptions,
  addSpyOptions,
  CLI_DEFAULTS,
  type ServerOptions,
  type SpyOptions,
} from './profile-options.js';

export type ConnectOptions = ServerOptions & SpyOptions & { pid: number };

/** The spy for a running process: `--spy`, checked against what it runs, or chosen by it. */
export function spyForPid(pid: number, wanted: SpyOptions['spy']): SpyName {
  return pickSpy(runtimeOfPid(pid), wanted);
}

/**
 * `kiln connect --pid PID`: profiles a running process until it exits or kiln is stopped
 * (SIGINT, SIGTERM), then detaches and leaves it running. Node processes are sampled through
 * V8's inspector, others by perf, austin, py-spy or rbspy.
 */
export async function connectToProcess(options: ConnectOptions): Promise<number> {
  requireProcess(options.pid);
  const spy = spyForPid(options.pid, options.spy);
  requireSpyProgram(spy);
  const applicationName = options.applicationName ?? processName(options.pid);
  const uploader = uploaderFor({ ...options, applicationName });
  const session = await attachOrWarn(spy, options.pid, options, (w) => uploader.push(w));
  if (session === null) return 1;
  process.stderr.write(`kiln: profiling process ${options.pid} as ${applicationName} with ${spy}; Ctrl-C detaches\n`);
  let onSignal: (() => void) | undefined;
  const stopRequested = new Promise<void>((resolve) => {
    onSignal = resolve;
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const failed = await Promise.race([
    session.ended.then(
      () => false,
      () => true,
    ),
    stopRequested.then(() => false),
  ]);
  process.off('SIGINT', onSignal!);
  process.off('SIGTERM', onSignal!);
  await stopQuietly(session);
  await uploader.flush(CLI_DEFAULTS.flushTimeoutMs);
  if (uploader.sent === 0) warn('no profile was sent');
  return failed ? 1 : 0;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || `pid-${pid}`;
  } catch {
    return `pid-${pid}`;
  }
}

export function registerConnect(program: Command): void {
  const command = program
    .command('connect')
    .description('attach a sampling profiler to a running process and send its profiles to a server')
    .addOption(
      new Option('--pid <pid>', 'the process to profile').makeOptionMandatory().argParser((text: string) => {
        const pid = Number(text);
        if (!Number.isInteger(pid) || pid <= 0) throw new InvalidArgumentError(`a process id, got "${text}"`);
        return pid;
      }),
    );
  addSpyOptions(addServerOptions(command)).action(async (opts: ConnectOptions) => {
    process.exitCode = await connectToProcess(opts);
  });
}
