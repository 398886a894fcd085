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
  /** A trie or tree body stands for more than `maxStackBytes` of stacks. */
  stacksTooLarge: 'ERR_FORMAT_STACKS_TOO_LARGE',
} as const;

export type FormatErrorCode = (typeof FormatErrorCode)[keyof typeof FormatErrorCode];

/** What each code means to a user, for docs/errors.md (generated; see scripts/gen-docs.ts). */
export const FORMAT_ERROR_DOCS: Record<FormatErrorCode, string> = {
  ERR_FORMAT_TRUNCATED:
    'The input ends in the middle of a field, a varint or a line. The message gives the byte offset or line.',
  ERR_FORMAT_INVALID:
    'The input is in the format but breaks it: a wrong wire type, a reference to an undefined id, a value that is not a number. The message says what and where.',
  ERR_FORMAT_UNKNOWN:
    'No parser recognised the input. Kiln reads pprof, speedscope, flamebearer JSON, perf script and folded stacks, gzipped or not.',
  ERR_FORMAT_BAD_GZIP: 'The input starts like gzip but does not inflate.',
  ERR_FORMAT_TOO_LARGE: 'The profile is over `maxDecompressedBytes` once inflated.',
  ERR_FORMAT_TOO_MANY_SAMPLES: 'The profile has more samples than `maxSamples`.',
  ERR_FORMAT_STACK_TOO_DEEP: 'A stack is deeper than `maxStackDepth`.',
  ERR_FORMAT_STRING_TOO_LONG: 'A string is longer than `maxStringBytes`.',
  ERR_FORMAT_TOO_MANY_STRINGS: 'The string table is larger than `maxStrings`.',
  ERR_FORMAT_TOO_MANY_FUNCTIONS: 'The profile has more functions than `maxFunctions`.',
  ERR_FORMAT_TOO_MANY_LOCATIONS: 'The profile has more locations than `maxLocations`.',
  ERR_FORMAT_UNSUPPORTED:
    'The request cannot be met for this input: a sample type the profile lacks, or a diff flamebearer where one profile is expected.',
  ERR_FORMAT_STACKS_TOO_LARGE:
    'A Pyroscope `trie` or `tree` body stands for more than `maxStackBytes` of stacks once each is written out. Their stacks share prefixes, so a small body can stand for a huge profile; the message gives the byte offset where the limit was crossed.',
};

export function formatError(
  code: FormatErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): KilnError {
  return new KilnError(code, message, details);
}
