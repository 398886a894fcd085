import type { ValueType } from './value-type.js';

/**
 * A profile as pprof defines it, held in columns (typed arrays) so that a 5,000-sample profile
 * costs a handful of allocations instead of tens of thousands of objects.
 *
 * Indices, not ids: functions, locations and mappings are referred to by their 0-based index in
 * their table. Strings are indices into `strings`, where `strings[0]` is always `''`.
 *
 * Values are float64: integer sums are exact up to 2^53 (about 104 days of CPU in nanoseconds
 * per node), which every single profile and every rollup Kiln keeps stays far below.
 */
export interface Profile {
  readonly sampleTypes: readonly ValueType[];
  /** Index into `sampleTypes` of the type a viewer shows first. */
  readonly defaultSampleType: number;
  readonly periodType: ValueType | null;
  readonly period: number;
  /** Start of the profile, Unix nanoseconds (float64: sub-microsecond digits may round). 0 = unknown. */
  readonly timeNs: number;
  readonly durationNs: number;
  readonly strings: readonly string[];
  /**
   * Each string's content id (nameIdOfText of it), when the decoder was asked for them: it
   * hashes each string's bytes as it decodes it, while they are in the cache, so that ingest
   * hashes no name again.
   */
  readonly stringIds?: NameIds;
  readonly functions: FunctionTable;
  readonly locations: LocationTable;
  readonly mappings: readonly Mapping[];
  readonly samples: SampleTable;
  readonly comments: readonly string[];
  readonly dropFrames: string;
  readonly keepFrames: string;
}

/** Content ids (name-id.ts) of a list of names, by index: high and low halves. */
export interface NameIds {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
}

export interface FunctionTable {
  readonly length: number;
  /** String index of the human-readable name (`main.handler`). */
  readonly name: Uint32Array;
  /** String index of the mangled or system name, when it differs. */
  readonly systemName: Uint32Array;
  readonly filename: Uint32Array;
  /** 0 when unknown. */
  readonly startLine: Float64Array;
}

/**
 * A location is one address in the program. Inlining makes one address stand for several
 * functions: its lines run from the innermost function (`lineStart[i]`) outwards to the caller
 * that the compiler inlined into (`lineStart[i + 1] - 1`), as in pprof.
 */
export interface LocationTable {
  readonly length: number;
  /** Index into `mappings`, or -1 when the location has no mapping. */
  readonly mapping: Int32Array;
  readonly address: Float64Array;
  readonly isFolded: Uint8Array;
  /** Offsets into the line columns; `length + 1` entries. */
  readonly lineStart: Uint32Array;
  /** Function index of each line. */
  readonly lineFunction: Uint32Array;
  /** Source line, 0 when unknown. */
  readonly lineNumber: Float64Array;
}

export interface Mapping {
  readonly memoryStart: number;
  readonly memoryLimit: number;
  readonly fileOffset: number;
  readonly filename: string;
  readonly buildId: string;
  readonly hasFunctions: boolean;
  readonly hasFilenames: boolean;
  readonly hasLineNumbers: boolean;
  readonly hasInlineFrames: boolean;
}

/**
 * Samples in columns. The stack of sample `i` is `stack[stackStart[i] .. stackStart[i + 1])`,
 * location indices from the leaf (the running function) to the root, as in pprof. Its value for
 * sample type `t` is `values[i * sampleTypes.length + t]`.
 */
export interface SampleTable {
  readonly length: number;
  readonly stackStart: Uint32Array;
  readonly stack: Uint32Array;
  readonly values: Float64Array;
  /** Index into `labelSets`; label set 0 is always the empty set. */
  readonly labelSet: Uint32Array;
  readonly labelSets: readonly (readonly Label[])[];
}

/** A sample label: a string value, or a number with an optional unit (`bytes`, `seconds`). */
export type Label =
  | { readonly key: string; readonly str: string; readonly num?: undefined; readonly unit?: undefined }
  | { readonly key: string; readonly str?: undefined; readonly num: number; readonly unit?: string };

/** The readable name of a function: its name, else its system name, else `''`. */
export function functionName(profile: Profile, fn: number): string {
  const f = profile.functions;
  return profile.strings[f.name[fn]!] || profile.strings[f.systemName[fn]!] || '';
}

/** Sum of every sample's value for one sample type. */
export function sumValues(profile: Profile, sampleType: number): number {
  const n = profile.samples.length;
  const stride = profile.sampleTypes.length;
  const values = profile.samples.values;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i * stride + sampleType]!;
  return sum;
}
