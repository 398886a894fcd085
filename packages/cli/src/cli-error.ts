import { KilnError } from '@kiln/model';

/** Codes the `kiln` command line raises, with what each means to a user (for docs/errors.md). */
export const CLI_ERROR_DOCS = {
  ERR_CLI_SPY_NOT_INSTALLED:
    'The profiler `kiln exec`, `kiln connect` or `kiln adhoc` needs is not installed; the message names the package to install (linux-perf, austin, py-spy, rbspy).',
  ERR_CLI_SPY_FAILED:
    'The profiler started but failed (it exited with an error, or `perf` was refused by kernel.perf_event_paranoid); its own message is included.',
  ERR_CLI_SPY_UNSUPPORTED:
    'The chosen profiler cannot profile this program (for example `--spy austin` on a Node program).',
  ERR_CLI_NO_SUCH_PROCESS: '`kiln connect --pid` names a process that does not exist or that this user may not trace.',
  ERR_CLI_INSPECTOR:
    'A Node process could not be profiled through its inspector: it did not open one (started with --disable-sigusr1, or another debugger holds it) or the inspector protocol failed.',
  ERR_CLI_COMMAND_NOT_FOUND: 'The program given after `--` was not found on PATH or is not executable.',
  ERR_CLI_SERVER:
    'The Kiln (or Pyroscope) server refused or could not be reached; the message carries its error code and text.',
  ERR_CLI_NO_SAMPLES:
    '`kiln adhoc` ended without a single sample (the program exited before the first sample, or it never ran on a CPU).',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_DOCS;

export function cliError(
  code: CliErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): KilnError {
  return new KilnError(code, message, details);
}
