import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServerOptions } from '../commands/profile-options.js';

/** The agent's preload entry (packages/agent/dist/register.js), whichever condition resolved the package. */
export function agentRegisterPath(): string {
  const entry = fileURLToPath(import.meta.resolve('@kiln/agent'));
  return join(dirname(dirname(entry)), 'dist', 'register.js');
}

export interface NodeAgentEnvOptions extends ServerOptions {
  applicationName: string;
  sampleRateHz: number;
  uploadIntervalMs: number;
  /** Heap profiles too (off for `kiln adhoc`, which writes CPU only). */
  heap: boolean;
}

/**
 * The environment that makes every Node process of the program load Kiln's agent
 * (`NODE_OPTIONS=--import=<agent>/register.js`, added to the user's NODE_OPTIONS) and
 * configures it with KILN_* variables, which win over PYROSCOPE_* ones the program may set.
 */
export function nodeAgentEnv(base: NodeJS.ProcessEnv, options: NodeAgentEnvOptions): NodeJS.ProcessEnv {
  const register = pathToFileURL(agentRegisterPath()).href;
  const env: NodeJS.ProcessEnv = {
    ...base,
    NODE_OPTIONS: [base.NODE_OPTIONS, `--import="${register}"`].filter(Boolean).join(' '),
    KILN_APPLICATION_NAME: options.applicationName,
    KILN_SERVER_ADDRESS: options.serverAddress,
    KILN_UPLOAD_INTERVAL_MS: String(options.uploadIntervalMs),
    KILN_CPU_SAMPLING_INTERVAL_MICROS: String(Math.max(1, Math.round(1e6 / options.sampleRateHz))),
    KILN_HEAP_ENABLED: String(options.heap),
  };
  const tags = Object.entries(options.tag).map(([k, v]) => `${k}=${v}`);
  if (tags.length > 0) env.KILN_TAGS = tags.join(',');
  if (options.authToken) env.KILN_AUTH_TOKEN = options.authToken;
  if (options.tenantId) env.KILN_TENANT_ID = options.tenantId;
  return env;
}

/**
 * For `--spy perf` on a Node program: V8 writes /tmp/perf-PID.map so perf names JIT-compiled
 * JavaScript functions (`burn /app.js:3:13`), and interpreted frames get native stack entries
 * perf can walk. Both are V8 flags NODE_OPTIONS accepts. `-only-functions`, because Node 20's
 * plain `--perf-basic-prof` also leaves an `isolate-*-v8.log` in the program's directory.
 */
export function perfMapEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    NODE_OPTIONS: [base.NODE_OPTIONS, '--perf-basic-prof-only-functions', '--interpreted-frames-native-stack']
      .filter(Boolean)
      .join(' '),
  };
}

/** Removes the perf map V8 left for a Node program that has ended (V8 never deletes it). */
export function removePerfMap(pid: number): void {
  rmSync(`/tmp/perf-${pid}.map`, { force: true });
}
