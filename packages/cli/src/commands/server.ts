import type { Command } from 'commander';
import { flagName, loadConfig, SETTINGS, startServer, type ServerConfig } from '@kiln/server';

/**
 * `kiln server`: runs the Kiln server until SIGINT or SIGTERM, then shuts down gracefully
 * (stops taking requests, finishes those in flight, flushes, closes the store).
 */
export function registerServer(program: Command): void {
  const cmd = program
    .command('server')
    .description('run the Kiln server (HTTP API, UI and embedded store)')
    .option('--config <file>', 'YAML config file (also KILN_CONFIG)');
  for (const field of Object.keys(SETTINGS) as (keyof ServerConfig)[]) {
    const s = SETTINGS[field];
    const flag = flagName(field);
    const shown = Array.isArray(s.default) ? s.default.join(',') : String(s.default);
    if (s.kind === 'boolean') cmd.option(`${flag} [bool]`, `${s.doc} (default ${shown})`);
    else cmd.option(`${flag} <value>`, `${s.doc} (default ${shown})`);
  }
  cmd.action(async (options: Record<string, string | boolean | undefined>) => {
    const flags: Partial<Record<keyof ServerConfig, string>> & { config?: string } = {};
    if (typeof options.config === 'string') flags.config = options.config;
    for (const field of Object.keys(SETTINGS) as (keyof ServerConfig)[]) {
      const v = options[field];
      if (v !== undefined) flags[field] = v === true ? 'true' : String(v);
    }
    const server = await startServer(loadConfig(flags, process.env));
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        server.app.log.info({ signal }, 'shutting down');
        server.close().then(resolve, (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exitCode = 1;
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  });
}
