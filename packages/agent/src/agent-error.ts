/**
 * The agent's own error type. It cannot use `KilnError` from @kiln/model: the agent ships with
 * one runtime dependency (@datadog/pprof) and nothing else, so it mirrors that shape instead:
 * a stable `code`, a message naming the value seen, and `details` for logs and metrics.
 *
 * `retryable` is the upload queue's contract with exporters: `false` means "this profile will
 * never be accepted, drop it"; anything else (including errors that are not AgentErrors) is
 * retried with backoff.
 */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly retryable: boolean;
  /** A delay the server asked for (`Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;
  readonly details: Readonly<Record<string, string | number>>;

  constructor(
    code: AgentErrorCode,
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number; details?: Record<string, string | number> } = {},
  ) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }
}

export const AgentErrorCode = {
  invalidOptions: 'ERR_AGENT_INVALID_OPTIONS',
  pprofUnavailable: 'ERR_AGENT_PPROF_UNAVAILABLE',
  profilerStart: 'ERR_AGENT_PROFILER_START',
  collect: 'ERR_AGENT_COLLECT',
  uploadStatus: 'ERR_AGENT_UPLOAD_STATUS',
  uploadTimeout: 'ERR_AGENT_UPLOAD_TIMEOUT',
  uploadNetwork: 'ERR_AGENT_UPLOAD_NETWORK',
  profileDropped: 'ERR_AGENT_PROFILE_DROPPED',
} as const;

export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

/** What each code means to a user, for docs/errors.md. */
export const AGENT_ERROR_DOCS: Record<AgentErrorCode, string> = {
  ERR_AGENT_INVALID_OPTIONS:
    '`startProfiling` or `HttpExporter` was given an option it cannot use (an empty app name, a tag with `{`, `}`, `,` or `=`, a non-positive interval). Thrown synchronously; nothing is started.',
  ERR_AGENT_PPROF_UNAVAILABLE:
    'The native @datadog/pprof module did not load on this platform. The agent stays idle and the program runs unprofiled.',
  ERR_AGENT_PROFILER_START:
    'The CPU or heap profiler did not start, typically because another profiler (the official Pyroscope SDK, dd-trace) already runs in this process. The other kind still runs.',
  ERR_AGENT_COLLECT: 'Taking or encoding a profile failed; that interval is skipped.',
  ERR_AGENT_UPLOAD_STATUS:
    'The server answered an upload with a non-2xx status. 408, 429 and 5xx are retried with backoff; other statuses drop the profile (counted as `rejected`).',
  ERR_AGENT_UPLOAD_TIMEOUT: 'An upload got no complete answer within `requestTimeoutMs`. Retried with backoff.',
  ERR_AGENT_UPLOAD_NETWORK: 'An upload failed to connect or lost its connection. Retried with backoff.',
  ERR_AGENT_PROFILE_DROPPED:
    'A profile was dropped unsent: the buffer held `maxBufferedProfiles` while the server was unreachable (oldest dropped first), or `stop()` ran out of `stopTimeoutMs`.',
};

/**
 * True unless the error says it will never succeed (see `AgentError.retryable`). A custom
 * exporter opts out of retries by throwing any error with `retryable: false`.
 *
 * @example
 *   isRetryable(new Error('socket hang up')); // true
 *   isRetryable(Object.assign(new Error('bad profile'), { retryable: false })); // false
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AgentError) return err.retryable;
  if (typeof err === 'object' && err !== null && 'retryable' in err) return err.retryable !== false;
  return true;
}
