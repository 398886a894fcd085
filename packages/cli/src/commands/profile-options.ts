import { InvalidArgumentError, Option, type Command } from 'commander';
import { SPY_NAMES } from '../spies/spy.js';

/** Options `kiln exec`, `kiln connect` and `kiln upload` share, as `pyroscope exec` names them. */
export interface ServerOptions {
  applicationName?: string;
  serverAddress: string;
  tag: Record<string, string>;
  authToken?: string;
  tenantId?: string;
}

export interface SpyOptions {
  spy: 'auto' | (typeof SPY_NAMES)[number];
  sampleRate: number;
  uploadInterval: number;
}

export const CLI_DEFAULTS = {
  serverAddress: 'http://localhost:4040',
  sampleRateHz: 100,
  uploadIntervalMs: 10_000,
  /** Longest wait for the last windows to upload when the program ends. */
  flushTimeoutMs: 5_000,
} as const;

/** Adds the server and series options; values from flags, else KILN_*, else PYROSCOPE_*. */
export function addServerOptions(command: Command): Command {
  const env = process.env;
  return command
    .addOption(
      new Option('--app, --application-name <name>', "service name (default: the program's name)").default(
        env.KILN_APPLICATION_NAME ?? env.PYROSCOPE_APPLICATION_NAME,
      ),
    )
    .addOption(
      new Option('--server, --server-address <url>', 'Kiln or Pyroscope server').default(
        env.KILN_SERVER_ADDRESS ?? env.PYROSCOPE_SERVER_ADDRESS ?? CLI_DEFAULTS.serverAddress,
      ),
    )
    .addOption(
      new Option('--tag <key=value>', 'a series label; repeat for more')
        .argParser(collectTag)
        .default(parseTags(env.KILN_TAGS ?? env.PYROSCOPE_TAGS)),
    )
    .addOption(
      new Option('--auth-token <token>', 'sent as Authorization: Bearer').default(
        env.KILN_AUTH_TOKEN ?? env.PYROSCOPE_AUTH_TOKEN,
      ),
    )
    .addOption(
      new Option('--tenant-id <id>', 'sent as X-Scope-OrgID').default(env.KILN_TENANT_ID ?? env.PYROSCOPE_TENANT_ID),
    );
}

export function addSpyOptions(command: Command): Command {
  return command
    .addOption(new Option('--spy <name>', 'profiler to use').choices(['auto', ...SPY_NAMES]).default('auto'))
    .addOption(
      new Option('--sample-rate <hz>', 'samples per second')
        .argParser(positiveInt('--sample-rate'))
        .default(CLI_DEFAULTS.sampleRateHz),
    )
    .addOption(
      new Option('--upload-interval <duration>', 'how often a profile is sent (10s, 1m, 500ms)')
        .argParser(parseDurationMs)
        .default(CLI_DEFAULTS.uploadIntervalMs, '10s'),
    );
}

function collectTag(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--tag must be key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}

/** `k=v,k2=v2` as PYROSCOPE_TAGS holds them. */
export function parseTags(text: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return tags;
}

/** `10s`, `1m`, `500ms`, `1h` or a number of milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'] : NaN;
  if (!Number.isFinite(ms) || ms < 100)
    throw new InvalidArgumentError(`a duration like 10s, 1m or 500ms (at least 100ms), got "${text}"`);
  return Math.round(ms);
}

/** A commander argument parser for positive integers; `flag` names the option in the error. */
export function positiveInt(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${flag} must be a positive integer, got "${text}"`);
    return n;
  };
}
