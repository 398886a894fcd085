import { FormatErrorCode, formatError } from './errors.js';

/**
 * Limits every parser enforces while decoding, so that hostile or broken input costs bounded
 * memory and time. Each breach throws its own ERR_FORMAT_* code naming the limit and the value
 * seen. Defaults are sized for the largest real profiles (a 1 h Go heap profile has 41k
 * samples and 13k locations) with a wide margin.
 */
export interface DecodeLimits {
  /** Bytes after gunzip; a gzip bomb stops here without being inflated whole. */
  maxDecompressedBytes: number;
  maxSamples: number;
  /** Frames in one sample's stack (locations for pprof, frames for text formats). */
  maxStackDepth: number;
  /** Bytes in one string: a symbol, a file name, a label value. */
  maxStringBytes: number;
  maxStrings: number;
  maxFunctions: number;
  maxLocations: number;
  /** Bytes of the stacks a Pyroscope trie or tree body stands for, written out as folded text. */
  maxStackBytes: number;
}

/** Each decode limit: its default, what it bounds, and the error its breach raises. */
export const DECODE_LIMITS = {
  maxDecompressedBytes: {
    default: 256 * 1024 * 1024,
    error: FormatErrorCode.tooLarge,
    doc: 'Bytes of a profile after gunzip (or as given when not compressed). zlib stops at the limit, so a gzip bomb costs at most this much memory.',
  },
  maxSamples: {
    default: 2_000_000,
    error: FormatErrorCode.tooManySamples,
    doc: 'Samples in one profile (pprof samples, perf script events, folded lines, speedscope samples or events).',
  },
  maxStackDepth: {
    default: 4_096,
    error: FormatErrorCode.stackTooDeep,
    doc: "Frames in one sample's stack (locations for pprof).",
  },
  maxStringBytes: {
    default: 65_536,
    error: FormatErrorCode.stringTooLong,
    doc: 'Bytes in one string: a symbol, a file name, a label value, a folded stack line.',
  },
  maxStrings: {
    default: 2_000_000,
    error: FormatErrorCode.tooManyStrings,
    doc: 'Entries in a pprof string table, or names in a flamebearer.',
  },
  maxFunctions: {
    default: 1_000_000,
    error: FormatErrorCode.tooManyFunctions,
    doc: 'Distinct functions in one profile.',
  },
  maxLocations: {
    default: 2_000_000,
    error: FormatErrorCode.tooManyLocations,
    doc: 'Distinct locations (addresses) in one profile.',
  },
  maxStackBytes: {
    default: 256 * 1024 * 1024,
    error: FormatErrorCode.stacksTooLarge,
    doc: "Bytes of the stacks a Pyroscope `trie` or `tree` body stands for, each written out as folded text (`a;b;c`) once per value. These formats share prefixes between stacks, so the body's own size does not bound the profile's; this does, like `maxDecompressedBytes` for gzip.",
  },
} as const satisfies Record<keyof DecodeLimits, { default: number; error: FormatErrorCode; doc: string }>;

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze(
  Object.fromEntries(Object.entries(DECODE_LIMITS).map(([k, v]) => [k, v.default])) as unknown as DecodeLimits,
);

export function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  return { ...DEFAULT_DECODE_LIMITS, ...limits };
}

/** Throws the limit's named error when `seen` is over it; `where` says where in the input. */
export function checkLimit(limits: DecodeLimits, limit: keyof DecodeLimits, seen: number, where: string): void {
  if (seen > limits[limit]) {
    throw formatError(DECODE_LIMITS[limit].error, `${limit} is ${limits[limit]}, ${where} has ${seen}`, {
      limit,
      max: limits[limit],
      seen,
    });
  }
}

/**
 * What decodePprof (and parsePprof) take besides limits.
 *
 * @example
 *   // As ingest decodes: each string's content id comes with the profile.
 *   const profile = parsePprof(bytes, { stringIds: true })!;
 *   profile.stringIds!.hi[profile.functions.name[0]!]; // high half of the first function's name id
 */
export interface DecodeOptions {
  /** Compute each string's content id (Profile.stringIds), as ingest needs. Default false. */
  stringIds?: boolean;
}

/** What every parser takes. */
export interface ParseOptions {
  limits?: Partial<DecodeLimits>;
  /** The file name, when known: a hint for detection and for naming. */
  filename?: string;
}
