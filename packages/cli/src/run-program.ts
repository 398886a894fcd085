import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { cliError } from './cli-error.js';
import { findProgram } from './spies/find-program.js';

/** Signals `kiln exec` and `kiln adhoc` pass on to the program they run. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProgram {
  readonly pid: number;
  readonly exited: Promise<ProgramExit>;
}

/**
 * Starts `command args...` with kiln's stdin, stdout and stderr, so the program reads and
 * writes its terminal or pipes directly; signals kiln receives are passed on (kiln itself does
 * not die of them while the program runs). Rejects with ERR_CLI_COMMAND_NOT_FOUND.
 */
export async function runProgram(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningProgram> {
  if (findProgram(command, env.PATH) === null) {
    throw cliError('ERR_CLI_COMMAND_NOT_FOUND', `${command}: not found on PATH or not executable`, { command });
  }
  const child = spawn(command, args, { stdio: 'inherit', env });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(cliError('ERR_CLI_COMMAND_NOT_FOUND', `${command}: ${err.message}`, { command })),
    );
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  const exited = new Promise<ProgramExit>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      resolve({ code, signal });
    }),
  );
  return { pid: child.pid!, exited };
}

/**
 * Ends kiln as the program ended: the same exit code, or the same signal (re-raised on kiln
 * once its handlers are gone, so a shell sees "killed by SIGTERM"). Returns the code to use if
 * the signal does not end kiln (128 + its number, as shells report it).
 */
export function exitLikeProgram(exit: ProgramExit): number {
  if (exit.signal === null) return exit.code ?? 1;
  process.removeAllListeners(exit.signal);
  process.kill(process.pid, exit.signal);
  return 128 + (constants.signals[exit.signal] ?? 0);
}
