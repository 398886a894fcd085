import { KilnError } from '@kiln/model';

/** Query error codes, what each means (docs/errors.md is generated from this), and its HTTP status. */
export const QUERY_ERRORS = {
  ERR_QUERY_INVALID_SELECTOR: {
    status: 400,
    doc: 'A query or label selector is not `profile_type{name="value", ...}` with `=`, `!=`, `=~` or `!~`; the message says where it breaks.',
  },
  ERR_QUERY_MISSING_PROFILE_TYPE: {
    status: 400,
    doc: 'A flame graph or series query names no profile type (`process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}`).',
  },
  ERR_QUERY_INVALID_RANGE: {
    status: 400,
    doc: 'A time range is empty, reversed, or not a number of milliseconds.',
  },
  ERR_QUERY_INVALID_MAX_NODES: {
    status: 400,
    doc: '`max_nodes` is negative or above `maxFlameGraphNodes` (1,048,576).',
  },
  ERR_QUERY_INVALID_STEP: {
    status: 400,
    doc: 'A series step is not a positive number of seconds, or the range holds more than `maxSeriesPoints` steps.',
  },
  ERR_QUERY_PROFILE_TYPE_MISMATCH: {
    status: 400,
    doc: 'The two sides of a diff name different profile types.',
  },
  ERR_QUERY_INVALID_FORMAT: {
    status: 400,
    doc: 'A render `format` is none of `json`, `pprof`, `collapsed` (or `folded`).',
  },
  ERR_QUERY_UNSUPPORTED: {
    status: 501,
    doc: 'The query asks for something Kiln does not do yet (stack trace, profile id, trace or span selectors; DOT or TREE output); the message says what.',
  },
  ERR_QUERY_MISSING_PARAMETER: {
    status: 400,
    doc: 'A required parameter (`query`, `label`, `name`, ...) is missing; the message names it.',
  },
} as const;

export type QueryErrorCode = keyof typeof QUERY_ERRORS;

export function queryError(code: QueryErrorCode, message: string): KilnError {
  return new KilnError(code, message);
}

/** Query limits: each has a default, a doc line and a test. */
export const QUERY_LIMITS = {
  maxFlameGraphNodes: {
    default: 1_048_576,
    error: 'ERR_QUERY_INVALID_MAX_NODES',
    doc: 'Largest `max_nodes` a flame graph query may ask for (Pyroscope: `max-flamegraph-nodes-max`).',
  },
  defaultFlameGraphNodes: {
    default: 8192,
    error: '',
    doc: 'Nodes in a flame graph when the query does not say (Pyroscope: `max-flamegraph-nodes-default`).',
  },
  maxSeriesPoints: {
    default: 11_000,
    error: 'ERR_QUERY_INVALID_STEP',
    doc: 'Steps one series query may return (range divided by step), as in Prometheus.',
  },
} as const;
