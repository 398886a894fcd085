import { basename } from 'node:path';
import type { Command } from 'commander';
import { exitLikeProgram, runProgram } from '../run-program.js';
import { ATTACH } from '../spies/attach.js';
import { pickSpy, runtimeOfCommand } from '../spies/choose-spy.js';
import { nodeAgentEnv, perfMapEnv, removePerfMap } from '../spies/node-agent.js';
import { requireProgram } from '../spies/spawn-profiler.js';
import type { CollectedWindow, SpyName, SpySession } from '../spies/spy.js';
import { IngestClient } from '../upload/ingest-client.js';
import { WindowUploader } from '../upload/window-uploader.js';
import {
  addServerOptions,
  addSpyOptions,
  CLI_DEFAULTS,
  type ServerOptions,
  type SpyOptions,
} from './profile-options.js';

export type ExecOptions = ServerOptions & SpyOptions;

/** Writes kiln's own messages, prefixed so they stand apart from the program's output. */
export function warn(message: string): void {
  process.stderr.write(`kiln: ${message}\n`);
}

/** The spy for a program: `--spy`, checked against its runtime, or chosen by it. */
export function spyForCommand(command: string, wanted: SpyOptions['spy']): SpyName {
  return pickSpy(runtimeOfCommand(command), wanted);
}

/** The program a spy runs as (`py-spy` for py-spy...); the node spy needs none. */
export function requireSpyProgram(spy: SpyName): void {
  if (spy !== 'node') requireProgram(spy);
}

/**
 * Attaches `spy` to `pid`, handing each window to `onWindow`. A spy that cannot attach does not
 * stop the program: the reason is printed and null returned.
 */
export async function attachOrWarn(
  spy: SpyName,
  pid: number,
  options: SpyOptions,
  onWindow: (window: CollectedWindow) => void,
): Promise<SpySession | null> {
  try {
    const session = await ATTACH[spy](pid, {
      intervalMs: options.uploadInterval,
      sampleRateHz: options.sampleRate,
      onWindow,
      onWarning: warn,
    });
    session.ended.catch((err: unknown) =>
      warn(`profiling stopped: ${err instanceof Error ? err.message : String(err)}`),
    );
    return session;
  } catch (err) {
    warn(`profiling is off for this run: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/** Stops a session, printing (not throwing) what went wrong. */
export async function stopQuietly(session: SpySession | null): Promise<void> {
  await session?.stop().catch(() => {
    // ended's rejection was already printed by attachOrWarn
  });
}

export function uploaderFor(options: ServerOptions & { applicationName: string }): WindowUploader {
  const client = new IngestClient({
    serverAddress: options.serverAddress,
    appName: options.applicationName,
    tags: options.tag,
    authToken: options.authToken,
    tenantId: options.tenantId,
  });
  return new WindowUploader(client, { warn });
}

/**
 * `kiln exec -- CMD ARGS`: runs the program with a profiler attached and uploads a CPU profile
 * every interval. Node programs load Kiln's agent through NODE_OPTIONS (CPU and heap, uploaded
 * by the agent itself); other programs are sampled from outside by perf, austin, py-spy or
 * rbspy. Returns the program's exit code.
 */
export async function execProgram(argv: readonly string[], options: ExecOptions): Promise<number> {
  const [command, ...args] = argv as [string, ...string[]];
  const spy = spyForCommand(command, options.spy);
  requireSpyProgram(spy);
  const applicationName = options.applicationName ?? basename(command);
  if (spy === 'node') {
    const env = nodeAgentEnv(process.env, {
      ...options,
      applicationName,
      sampleRateHz: options.sampleRate,
      uploadIntervalMs: options.uploadInterval,
      heap: true,
    });
    const program = await runProgram(command, args, env);
    return exitLikeProgram(await program.exited);
  }
  const uploader = uploaderFor({ ...options, applicationName });
  const env = spy === 'perf' && runtimeOfCommand(command) === 'node' ? perfMapEnv(process.env) : process.env;
  const program = await runProgram(command, args, env);
  const session = await attachOrWarn(spy, program.pid, options, (w) => uploader.push(w));
  const exit = await program.exited;
  await stopQuietly(session);
  if (env !== process.env) removePerfMap(program.pid);
  await uploader.flush(CLI_DEFAULTS.flushTimeoutMs);
  return exitLikeProgram(exit);
}

export function registerExec(program: Command): void {
  const command = program
    .command('exec')
    .description('run a program with a sampling profiler attached and send its profiles to a server')
    .argument('<command...>', 'the program and its arguments, after --')
    .usage('[options] -- <command> [args...]')
    .passThroughOptions();
  addSpyOptions(addServerOptions(command)).action(async (argv: string[], opts: ExecOptions) => {
    process.exitCode = await execProgram(argv, opts);
  });
}
