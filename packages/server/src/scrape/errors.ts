import { KilnError } from '@kiln/model';

/**
 * Scrape error codes and what each means (docs/errors.md is generated from this). A config
 * error stops the server at start; the others are a target's `lastError` in `/api/v1/targets`
 * (and the `kiln_scrapes_total{result}` label is the snake_case reason), never a crash.
 */
export const SCRAPE_ERRORS = {
  ERR_SCRAPE_CONFIG_INVALID: {
    reason: 'config_invalid',
    doc: '`scrape_configs` in the config file is malformed: an unknown or missing key, a bad duration, regex, action or profile type, two jobs with one name. The message names the path (`scrape_configs[0].relabel_configs[1].action`) and the value. The server does not start.',
  },
  ERR_SCRAPE_TIMEOUT: {
    reason: 'timeout',
    doc: "A target did not answer within the job's `scrape_timeout` (for CPU, plus the profile's `seconds`).",
  },
  ERR_SCRAPE_CONNECT: {
    reason: 'connect',
    doc: 'A target could not be reached (connection refused or reset, DNS failure); the message has the system error.',
  },
  ERR_SCRAPE_HTTP_STATUS: {
    reason: 'http_status',
    doc: 'A target answered with a status other than 2xx; the message quotes the status and the start of the body.',
  },
  ERR_SCRAPE_CREDENTIALS: {
    reason: 'credentials',
    doc: "A job's `password_file`, `credentials_file` or `bearer_token_file` could not be read at scrape time (they are read at every scrape, so rotated secrets apply); the target is not asked.",
  },
  ERR_SCRAPE_TLS: {
    reason: 'tls',
    doc: "A `tls_config` file (CA, client certificate or key) is not a usable PEM file; the job's targets are not scraped. A target whose certificate does not verify is ERR_SCRAPE_CONNECT naming the TLS error.",
  },
  ERR_SCRAPE_TOO_LARGE: {
    reason: 'too_large',
    doc: "A target's answer is longer than `scrape_max_body_bytes`; it is cut off unread.",
  },
  ERR_SCRAPE_TARGET_LIMIT: {
    reason: 'target_limit',
    doc: 'More targets were discovered than `scrape_max_targets`; the targets past the limit (in a stable order) are listed but not scraped.',
  },
  ERR_SCRAPE_DISCOVERY: {
    reason: 'discovery',
    doc: 'Kubernetes pod discovery failed (the API server refused the list or watch, or the kubeconfig is unusable). The job keeps its last known targets and retries.',
  },
} as const;

export type ScrapeErrorCode = keyof typeof SCRAPE_ERRORS;

export function scrapeError(code: ScrapeErrorCode, message: string): KilnError {
  return new KilnError(code, message, { reason: SCRAPE_ERRORS[code].reason });
}
