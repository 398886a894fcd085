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
}

export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxDecompressedBytes: 256 * 1024 * 1024,
  maxSamples: 2_000_000,
  maxStackDepth: 4_096,
  maxStringBytes: 65_536,
  maxStrings: 2_000_000,
  maxFunctions: 1_000_000,
  maxLocations: 2_000_000,
});

export function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  return { ...DEFAULT_DECODE_LIMITS, ...limits };
}

const limitCodes = {
  maxDecompressedBytes: FormatErrorCode.tooLarge,
  maxSamples: FormatErrorCode.tooManySamples,
  maxStackDepth: FormatErrorCode.stackTooDeep,
  maxStringBytes: FormatErrorCode.stringTooLong,
  maxStrings: FormatErrorCode.tooManyStrings,
  maxFunctions: FormatErrorCode.tooManyFunctions,
  maxLocations: FormatErrorCode.tooManyLocations,
} as const satisfies Record<keyof DecodeLimits, FormatErrorCode>;

/** Throws the limit's named error when `seen` is over it; `where` says where in the input. */
export function checkLimit(limits: DecodeLimits, limit: keyof DecodeLimits, seen: number, where: string): void {
  if (seen > limits[limit]) {
    throw formatError(limitCodes[limit], `${limit} is ${limits[limit]}, ${where} has ${seen}`, {
      limit,
      max: limits[limit],
      seen,
    });
  }
}

/** What every parser takes. */
export interface ParseOptions {
  limits?: Partial<DecodeLimits>;
  /** The file name, when known: a hint for detection and for naming. */
  filename?: string;
}
