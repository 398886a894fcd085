import { KilnError } from '@kiln/model';

/**
 * Storage error codes with their snake_case rejection reasons (also metric labels) and what
 * each means to a user (docs/errors.md is generated from STORAGE_ERRORS).
 */
export const STORAGE_ERRORS = {
  ERR_STORAGE_TOO_MANY_LABELS: {
    reason: 'too_many_labels',
    doc: 'A series has more labels than `maxLabelsPerSeries`.',
  },
  ERR_STORAGE_INVALID_LABEL_NAME: {
    reason: 'invalid_label_name',
    doc: 'A label name is not `[a-zA-Z_][a-zA-Z0-9_.]*`, or starts with `__` (reserved for Kiln).',
  },
  ERR_STORAGE_LABEL_NAME_TOO_LONG: {
    reason: 'label_name_too_long',
    doc: 'A label name is longer than `maxLabelNameLength`.',
  },
  ERR_STORAGE_LABEL_VALUE_TOO_LONG: {
    reason: 'label_value_too_long',
    doc: 'A label value is longer than `maxLabelValueLength`.',
  },
  ERR_STORAGE_SERIES_LIMIT: {
    reason: 'series_limit',
    doc: 'The tenant already has `maxSeriesPerTenant` series; profiles for existing series are still accepted.',
  },
  ERR_STORAGE_MISSING_SERVICE_NAME: {
    reason: 'missing_service_name',
    doc: 'A profile has no `service_name` label.',
  },
  ERR_STORAGE_INVALID_PROFILE_TYPE: {
    reason: 'invalid_profile_type',
    doc: 'A profile type id is not `name:sample_type:sample_unit:period_type:period_unit`.',
  },
  ERR_STORAGE_INVALID_SAMPLES: {
    reason: 'invalid_samples',
    doc: "A profile's stack samples do not hold together (frame offsets, name ids or the number of values): a defect in the code that built them, never in an upload.",
  },
  ERR_STORAGE_FORMAT_VERSION: {
    reason: 'format_version',
    doc: 'The data directory was written by a Kiln with another on-disk format version; the message names both. Kiln refuses to open it rather than misread it.',
  },
  ERR_STORAGE_INVALID_MATCHER: {
    reason: 'invalid_matcher',
    doc: 'A `=~` or `!~` matcher holds a regular expression that does not compile; the message quotes it.',
  },
  ERR_STORAGE_CLOSED: {
    reason: 'store_closed',
    doc: 'A call reached the store after `close()`.',
  },
} as const;

export type StorageErrorCode = keyof typeof STORAGE_ERRORS;

export function storageError(
  code: StorageErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): KilnError {
  return new KilnError(code, message, { reason: STORAGE_ERRORS[code].reason, ...details });
}
