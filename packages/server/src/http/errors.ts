import { FORMAT_ERROR_DOCS } from '@kiln/formats';
import { isKilnError } from '@kiln/model';
import { INGEST_ERRORS } from '../ingest/errors.js';
import { QUERY_ERRORS } from '../query/errors.js';
import { STORAGE_ERRORS } from '../storage/errors.js';

/** Errors the HTTP layer itself raises. */
export const HTTP_ERRORS = {
  ERR_HTTP_BODY_TOO_LARGE: { status: 413, doc: 'A request body is larger than `max_request_body_bytes`.' },
  ERR_HTTP_REQUEST_TOO_LARGE: {
    status: 431,
    doc: "The URL and headers of a request are over Node's 16 KiB limit (a huge `name` or `query` parameter).",
  },
  ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'A request has a content type the route does not take.' },
  ERR_HTTP_NOT_FOUND: { status: 404, doc: 'No route has this path and method.' },
  ERR_HTTP_UI_NOT_BUILT: {
    status: 503,
    doc: 'The web UI was asked for but its files are not built (`npm run build -w @kiln/ui`, or `ui_dir` points elsewhere).',
  },
  ERR_HTTP_BAD_REQUEST: {
    status: 400,
    doc: 'The request is malformed at the HTTP level (headers, query string, JSON).',
  },
  ERR_TENANT_INVALID: {
    status: 400,
    doc: "The `X-Scope-OrgID` header is not 1 to 150 characters of letters, digits and `!-_.*'()`.",
  },
  ERR_INTERNAL: { status: 500, doc: 'A bug in Kiln: the request failed unexpectedly. The server log holds the stack.' },
} as const;

const STORAGE_STATUS: Partial<Record<keyof typeof STORAGE_ERRORS, number>> = {
  ERR_STORAGE_SERIES_LIMIT: 429,
  ERR_STORAGE_CLOSED: 503,
  ERR_STORAGE_FORMAT_VERSION: 500,
  ERR_STORAGE_INVALID_SAMPLES: 500,
};

/** The HTTP status for an error code; 500 for anything unknown. */
export function statusOf(code: string): number {
  if (code in HTTP_ERRORS) return HTTP_ERRORS[code as keyof typeof HTTP_ERRORS].status;
  if (code in QUERY_ERRORS) return QUERY_ERRORS[code as keyof typeof QUERY_ERRORS].status;
  if (code in INGEST_ERRORS) return INGEST_ERRORS[code as keyof typeof INGEST_ERRORS].status;
  if (code in STORAGE_ERRORS) return STORAGE_STATUS[code as keyof typeof STORAGE_ERRORS] ?? 400;
  if (code === 'ERR_FORMAT_TOO_LARGE') return 413;
  if (code in FORMAT_ERROR_DOCS) return 400;
  if (code === 'ERR_FLAMEBEARER_INVALID') return 400;
  return 500;
}

export interface ErrorBody {
  code: string;
  message: string;
}

/** Any thrown value as `{code, message}` and its status. Unexpected errors hide their text. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody; retryAfter?: number } {
  if (isKilnError(err)) {
    const retry = err.details.retryAfterSeconds;
    return {
      status: statusOf(err.code),
      body: { code: err.code, message: err.message },
      ...(typeof retry === 'number' ? { retryAfter: retry } : {}),
    };
  }
  return { status: 500, body: { code: 'ERR_INTERNAL', message: 'internal error; see the server log' } };
}
