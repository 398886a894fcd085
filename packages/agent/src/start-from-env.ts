import type { Agent } from './agent.js';
import { startProfiling } from './agent.js';
import { configFromEnv } from './config-from-env.js';
import { createStderrLogger, type AgentLogger } from './logger.js';

/**
 * Starts the agent as the environment configures it (see `configFromEnv`), logging to stderr at
 * KILN_LOG_LEVEL (default `warn`) unless `logger` is given. Returns null, after saying why, when
 * it is disabled or no application name is set; never throws.
 *
 * @example
 *   const agent = startProfilingFromEnv(process.env);
 *   process.on('SIGTERM', () => void agent?.stop().then(() => process.exit(0)));
 */
export function startProfilingFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  logger?: AgentLogger,
): Agent | null {
  let log: AgentLogger = logger ?? (() => {});
  try {
    const config = configFromEnv(env);
    log = logger ?? createStderrLogger(config.logLevel);
    for (const problem of config.problems) log('warn', problem);
    if (!config.enabled) return null;
    const appName = config.options.appName;
    if (!appName) {
      log('warn', 'not started: set KILN_APPLICATION_NAME or PYROSCOPE_APPLICATION_NAME');
      return null;
    }
    return startProfiling({ ...config.options, appName, logger: log });
  } catch (err) {
    log('error', 'not started', err);
    return null;
  }
}
