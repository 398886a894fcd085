import { KilnError } from '@kiln/model';

/**
 * Ingest error codes: the HTTP status each answers with, its snake_case rejection reason (also
 * a metric label) and what it means to a user (docs/errors.md). http/errors.ts reads the
 * statuses from here, so no handler picks a status of its own. Statuses follow
 * Pyroscope's `/ingest`: a bad query parameter is 400, and clients retry only 429 and 5xx.
 */
export const INGEST_ERRORS = {
  ERR_INGEST_INVALID_NAME: {
    status: 400,
    reason: 'invalid_name',
    doc: 'The `name` parameter of `/ingest` is not `app{key=value,...}`: it is missing or empty (Pyroscope: "service name is required"), the app name has a character outside `A-Z a-z 0-9 _ . - /`, a label name one outside `A-Z a-z 0-9 _ .`, a label has no `=`, or `{` is not closed. The message quotes the part.',
  },
  ERR_INGEST_INVALID_TIME: {
    status: 400,
    reason: 'invalid_time',
    doc: '`from` or `until` is neither a Unix time (seconds; 13, 16 or 19 digits for ms, µs or ns; or `YYYYMMDD`) nor `now` with offsets such as `now-1h` or `now-30m`.',
  },
  ERR_INGEST_UNKNOWN_PROFILE_TYPE: {
    status: 400,
    reason: 'unknown_profile_type',
    doc: 'The app name ends in `.<suffix>` and the suffix is no profile type (`cpu`, `wall`, `alloc_objects`, `inuse_space`, `goroutines`, `mutex_count`, ...). As in Pyroscope, the text after the last dot of a `trie`, `tree`, `lines` or folded upload is its profile type: `my.app` must be sent as `my.app.cpu`.',
  },
  ERR_INGEST_UNSUPPORTED_FORMAT: {
    status: 415,
    reason: 'unsupported_format',
    doc: '`format=jfr`: Kiln does not read Java Flight Recorder uploads yet. Send pprof instead (the Java agent can export it), or use Pyroscope for JFR.',
  },
  ERR_INGEST_EMPTY: {
    status: 400,
    reason: 'empty_profile',
    doc: 'The profile in an ingest request is empty (0 bytes).',
  },
  ERR_INGEST_NOT_PPROF: {
    status: 400,
    reason: 'not_pprof',
    doc: 'A body that must be pprof (the `profile` part of a multipart upload, `format=pprof`, a Connect push) is neither gzipped nor plain pprof protobuf.',
  },
  ERR_INGEST_MISSING_PART: {
    status: 400,
    reason: 'missing_part',
    doc: 'A multipart `/ingest` upload has no `profile` part (pprof), or a JFR upload no `jfr` part.',
  },
  ERR_INGEST_INVALID_BODY: {
    status: 400,
    reason: 'invalid_body',
    doc: 'An `/ingest` body is not what its format says: a multipart body that does not parse, a `sample_type_config` part that is not JSON, text that is not folded stacks.',
  },
  ERR_INGEST_RATE_LIMITED: {
    status: 429,
    reason: 'rate_limited',
    doc: 'The tenant sends more than `ingest_rate_bytes_per_second` (after a burst of `ingest_burst_bytes`); the answer has `Retry-After`.',
  },
} as const;

export type IngestErrorCode = keyof typeof INGEST_ERRORS;

export function ingestError(
  code: IngestErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): KilnError {
  return new KilnError(code, message, { reason: INGEST_ERRORS[code].reason, ...details });
}
