import { isKilnError } from '@kiln/model';
import { Command, CommanderError } from 'commander';
import { registerConvert } from './commands/convert.js';
import { registerServer } from './commands/server.js';

/**
 * Runs the kiln command line with `argv` (without `node kiln`) and returns the exit code:
 * 0 done, 1 the command failed (a named error is printed), 2 a usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('kiln')
    .description('Kiln: continuous profiling compatible with Pyroscope')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerConvert(program);
  registerServer(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : err.exitCode === 1 ? 2 : err.exitCode;
    if (isKilnError(err)) {
      process.stderr.write(`kiln: ${err.code}: ${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
      process.stderr.write(`kiln: ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
}
