export type AgentLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where the agent reports what went wrong; it never throws into the host instead. Repeated
 * failures during one outage come once at `warn`, then at `debug`.
 *
 * `startProfiling` also takes an object with `debug`/`info`/`warn`/`error` methods, such as
 * `console`.
 *
 * @example
 *   startProfiling({ appName: 'shop', logger: (level, message, err) => pino[level]({ err }, message) });
 *   startProfiling({ appName: 'shop', logger: console });
 */
export type AgentLogger = (level: AgentLogLevel, message: string, error?: unknown) => void;

/** A logger object such as `console` or pino: the methods it lacks are not called. */
export type AgentLoggerObject = Partial<Record<AgentLogLevel, (message: string, error?: unknown) => void>>;

const LEVELS: readonly AgentLogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Wraps a user's logger, callback or object, so that a throwing logger cannot break the agent. */
export function guardLogger(logger: AgentLogger | AgentLoggerObject | undefined): AgentLogger {
  if (!logger) return () => {};
  return (level, message, error) => {
    try {
      if (typeof logger === 'function') logger(level, message, error);
      else if (error === undefined) logger[level]?.(message);
      else logger[level]?.(message, error);
    } catch {
      // A broken logger must not take the agent (or the host) down with it.
    }
  };
}

/**
 * A logger writing one line per message to stderr, `minLevel` and above; used by the preload
 * entry (register.ts), where there is no user code to hand a callback.
 */
export function createStderrLogger(minLevel: AgentLogLevel | 'silent'): AgentLogger {
  if (minLevel === 'silent') return () => {};
  const min = LEVELS.indexOf(minLevel);
  return (level, message, error) => {
    if (LEVELS.indexOf(level) < min) return;
    const reason = error instanceof Error ? `: ${error.message}` : '';
    process.stderr.write(`kiln-agent ${level}: ${message}${reason}\n`);
  };
}
