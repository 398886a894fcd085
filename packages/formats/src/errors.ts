import { KilnError } from '@kiln/model';

/**
 * The codes a format parser throws for input that is its format but broken. Every message
 * says what was wrong and where (byte offset or line), so a user can find it in the file.
 */
export const FormatErrorCode = {
  /** The bytes end in the middle of a field, a varint or a line. */
  truncated: 'ERR_FORMAT_TRUNCATED',
  /** The input is the format but violates it (bad wire type, bad number, dangling index). */
  invalid: 'ERR_FORMAT_INVALID',
  /** No parser recognised the input. */
  unknown: 'ERR_FORMAT_UNKNOWN',
  /** gzip data is corrupt. */
  badGzip: 'ERR_FORMAT_BAD_GZIP',
  /** Decompressed size over `maxDecompressedBytes`. */
  tooLarge: 'ERR_FORMAT_TOO_LARGE',
  tooManySamples: 'ERR_FORMAT_TOO_MANY_SAMPLES',
  stackTooDeep: 'ERR_FORMAT_STACK_TOO_DEEP',
  stringTooLong: 'ERR_FORMAT_STRING_TOO_LONG',
  tooManyStrings: 'ERR_FORMAT_TOO_MANY_STRINGS',
  tooManyFunctions: 'ERR_FORMAT_TOO_MANY_FUNCTIONS',
  tooManyLocations: 'ERR_FORMAT_TOO_MANY_LOCATIONS',
  /** The requested conversion cannot be done (e.g. an unknown sample type). */
  unsupported: 'ERR_FORMAT_UNSUPPORTED',
} as const;

export type FormatErrorCode = (typeof FormatErrorCode)[keyof typeof FormatErrorCode];

export function formatError(
  code: FormatErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): KilnError {
  return new KilnError(code, message, details);
}
