import { isKilnError } from '@kiln/model';
import { Command, CommanderError } from 'commander';
import { registerAdhoc } from './commands/adhoc.js';
import { registerConnect } from './commands/connect.js';
import { registerConvert } from './commands/convert.js';
import { registerExec } from './commands/exec.js';
import { registerNodeAgent } from './commands/node-agent.js';
import { registerQuery } from './commands/query.js';
import { registerServer } from './commands/server.js';
import { registerUpload } from './commands/upload.js';

export { CLI_ERROR_DOCS } from './cli-error.js';

/**
 * Runs the kiln command line with `argv` (without `node kiln`) and returns the exit code:
 * 0 done, 1 the command failed (a named error is printed), 2 a usage error.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('kiln')
    .description('Kiln: continuous profiling compatible with Pyroscope')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerServer(program);
  registerExec(program);
  registerConnect(program);
  registerAdhoc(program);
  registerUpload(program);
  registerQuery(program);
  registerNodeAgent(program);
  registerConvert(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // Commands that run a program end with its exit code.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
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
