import {
  nameIdOfBytes,
  nameIdOfText,
  type Label,
  type Mapping,
  type NameIds,
  type Profile,
  type ValueType,
} from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { checkLimit, resolveLimits, type DecodeLimits, type DecodeOptions } from './limits.js';
import { decodeUtf8 } from './utf8.js';

// A hand-written profile.proto decoder (field numbers from github.com/google/pprof's
// proto/profile.proto). It was measured 20× faster than a generated decoder on this machine
// (../shared/reference/performance.md §5): one pass records where each top-level field lies,
// then each table is decoded straight into right-sized typed arrays, in the order that lets
// ids be resolved on the spot (strings, functions, mappings, locations, samples).
//
// The cursor lives in module variables rather than an object so V8 keeps it in registers
// across the tight varint loops; decodePprof is synchronous and never re-entered.

const EMPTY = new Uint8Array(0);
let buf: Uint8Array = EMPTY;
let pos = 0;

// Columns whose length is known only after decoding (a stack's location ids, a location's
// lines) are filled into scratch arrays sized by a bound, then copied out at their length:
// allocating the bound fresh for every profile (zeroed pages, a few hundred KB) cost more than
// the copy. Bounds past SCRATCH_MAX_ENTRIES get a one-off array, so a huge profile does not
// leave a huge scratch behind.
const SCRATCH_MAX_ENTRIES = 1 << 20;
let stackScratch = new Uint32Array(1024);
let lineFunctionScratch = new Uint32Array(1024);
let lineNumberScratch = new Float64Array(1024);

// Per table (functions, mappings, locations): its pprof ids and the dense index over them,
// which never leave the decoder, so they are views of arrays kept from one profile to the next.
const FUNCTION_IDS = 0;
const MAPPING_IDS = 1;
const LOCATION_IDS = 2;
const idScratch = [new Float64Array(1024), new Float64Array(1024), new Float64Array(1024)];
const denseScratch = [new Int32Array(1024), new Int32Array(1024), new Int32Array(1024)];

/** n zeroed entries for the ids of table `table`. */
function scratchIds(table: number, n: number): Float64Array {
  if (n > SCRATCH_MAX_ENTRIES) return new Float64Array(n);
  if (n > idScratch[table]!.length) idScratch[table] = new Float64Array(Math.max(n, 2 * idScratch[table]!.length));
  return idScratch[table]!.subarray(0, n).fill(0);
}

/** n entries of -1 for the dense index of table `table`. */
function scratchDense(table: number, n: number): Int32Array {
  if (n > SCRATCH_MAX_ENTRIES) return new Int32Array(n).fill(-1);
  if (n > denseScratch[table]!.length) {
    denseScratch[table] = new Int32Array(Math.max(n, 2 * denseScratch[table]!.length));
  }
  return denseScratch[table]!.subarray(0, n).fill(-1);
}

function scratchStack(n: number): Uint32Array {
  if (n <= stackScratch.length) return stackScratch;
  const a = new Uint32Array(n);
  if (n <= SCRATCH_MAX_ENTRIES) stackScratch = a;
  return a;
}

function scratchLines(n: number): [Uint32Array, Float64Array] {
  if (n <= lineFunctionScratch.length) return [lineFunctionScratch, lineNumberScratch];
  const fns = new Uint32Array(n);
  const numbers = new Float64Array(n);
  if (n <= SCRATCH_MAX_ENTRIES) {
    lineFunctionScratch = fns;
    lineNumberScratch = numbers;
  }
  return [fns, numbers];
}

/**
 * A profile's columns, carved out of one ArrayBuffer: one allocation (and one zeroed block) per
 * profile instead of a dozen, which the allocator and the garbage collector each handle once.
 * The buffer holds the 8-byte columns, then the 4-byte ones, then the bytes, each region with
 * its own cursor, so every view is aligned whatever order they are taken in.
 */
class Columns {
  private readonly buffer: ArrayBuffer;
  private float64At = 0;
  private uint32At: number;
  private uint8At: number;
  private readonly float64End: number;
  private readonly uint32End: number;

  constructor(float64s: number, uint32s: number, bytes = 0) {
    this.uint32At = this.float64End = 8 * float64s;
    this.uint8At = this.uint32End = this.uint32At + 4 * uint32s;
    this.buffer = new ArrayBuffer(this.uint8At + bytes);
  }

  float64(n: number): Float64Array {
    const a = new Float64Array(this.buffer, this.float64At, n);
    this.float64At += 8 * n;
    if (this.float64At > this.float64End) overrun();
    return a;
  }

  uint32(n: number): Uint32Array {
    const a = new Uint32Array(this.buffer, this.uint32At, n);
    this.uint32At += 4 * n;
    if (this.uint32At > this.uint32End) overrun();
    return a;
  }

  int32(n: number): Int32Array {
    const a = new Int32Array(this.buffer, this.uint32At, n);
    this.uint32At += 4 * n;
    if (this.uint32At > this.uint32End) overrun();
    return a;
  }

  /** The last region: past the buffer's end the view itself throws. */
  uint8(n: number): Uint8Array {
    const a = new Uint8Array(this.buffer, this.uint8At, n);
    this.uint8At += n;
    return a;
  }
}

/** A column sized wrong in the decoder: a bug, never the input's fault. */
function overrun(): never {
  throw new Error('pprof decoder: columns overrun their region (a sizing bug)');
}

function truncated(what: string): never {
  throw formatError(FormatErrorCode.truncated, `pprof ends inside ${what} at offset ${pos}`, { offset: pos });
}

function invalid(message: string): never {
  throw formatError(FormatErrorCode.invalid, `invalid pprof: ${message}`, { offset: pos });
}

/** An unsigned varint ending before `end`; values past 2^53 lose their low bits. */
function varint(end: number): number {
  if (pos >= end) truncated('a varint');
  let b = buf[pos++]!;
  if (b < 0x80) return b;
  let v = b & 0x7f;
  if (pos >= end) truncated('a varint');
  b = buf[pos++]!;
  v |= (b & 0x7f) << 7;
  if (b < 0x80) return v;
  if (pos >= end) truncated('a varint');
  b = buf[pos++]!;
  v |= (b & 0x7f) << 14;
  if (b < 0x80) return v;
  if (pos >= end) truncated('a varint');
  b = buf[pos++]!;
  v |= (b & 0x7f) << 21;
  if (b < 0x80) return v;
  return varintTail(v, end);
}

/** Bytes 5 to 10 of a varint: the low 28 bits are in `low`. */
function varintTail(low: number, end: number): number {
  let result = low;
  let scale = 268435456; // 2^28
  for (let i = 0; i < 6; i++) {
    if (pos >= end) truncated('a varint');
    const b = buf[pos++]!;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
  }
  invalid(`a varint is longer than 10 bytes`);
}

/**
 * A signed varint (int64, two's complement). Up to 7 bytes it is varint's non-negative value;
 * longer ones are read again as two exact 32-bit halves, since summing them in a double (as
 * varint does) rounds 2^64 - n: -1 read as 0.
 */
function int64(end: number): number {
  const start = pos;
  const v = varint(end);
  if (pos - start < 8) return v;
  let lo = 0;
  let hi = 0;
  for (let p = start, shift = 0; p < pos; p++, shift += 7) {
    const b = buf[p]! & 0x7f;
    if (shift < 32) {
      lo |= b << shift;
      // The byte at shift 28 straddles the halves.
      if (shift + 7 > 32) hi |= b >>> (32 - shift);
    } else {
      hi |= b << (shift - 32);
    }
  }
  return (hi | 0) * 4294967296 + (lo >>> 0);
}

function skip(wire: number, end: number): void {
  switch (wire) {
    case 0:
      varint(end);
      return;
    case 1:
      pos += 8;
      break;
    case 2: {
      const len = varint(end);
      pos += len;
      break;
    }
    case 5:
      pos += 4;
      break;
    default:
      invalid(`wire type ${wire}`);
  }
  if (pos > end) truncated('a field');
}

/** Reads a length prefix; returns where the field ends. */
function fieldEnd(end: number): number {
  const len = varint(end);
  const e = pos + len;
  if (e > end) truncated(`a field of ${len} bytes`);
  return e;
}

/**
 * Whether the first fields (up to 16) are profile.proto fields with the wire types their
 * numbers must have and lengths that fit: cheap, and false for text and JSON.
 */
export function sniffPprof(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  buf = bytes;
  pos = 0;
  try {
    for (let i = 0; i < 16 && pos < bytes.length; i++) {
      const tag = varint(bytes.length);
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field < 1 || field > 14) return false;
      // Fields 1-6 and 11 are messages, strings or packed (2); 13 may be packed or not.
      const lengthDelimited = field <= 6 || field === 11;
      if (lengthDelimited ? wire !== 2 : field === 13 ? wire !== 0 && wire !== 2 : wire !== 0) return false;
      skip(wire, bytes.length);
    }
    return true;
  } catch {
    return false;
  } finally {
    buf = EMPTY;
  }
}

/** Decodes uncompressed profile.proto bytes into the columnar Profile. */
export function decodePprof(
  bytes: Uint8Array,
  limits: DecodeLimits = resolveLimits(),
  options: DecodeOptions = {},
): Profile {
  checkLimit(limits, 'maxDecompressedBytes', bytes.length, 'the profile');
  buf = bytes;
  pos = 0;
  try {
    return decode(bytes.length, limits, options.stringIds === true);
  } finally {
    buf = EMPTY;
  }
}

/**
 * Where each message of one repeated top-level field lies, as [from, to) pairs, in an array kept
 * from one profile to the next: pushed onto fresh number[]s they were 400 KB of young garbage
 * per 200 KB profile. With Columns below, the decoder's main-thread time at full ingest rate
 * fell 3.6 %; the process's CPU did not (V8 ran fewer scavenges and more full collections on
 * its helper threads: bench/storage's note in BENCHMARKS.md).
 */
class Spans {
  private data = new Uint32Array(1024);
  /** Numbers used: two per message. */
  length = 0;

  push(from: number, to: number): void {
    if (this.length + 2 > this.data.length) {
      const next = new Uint32Array(2 * this.data.length);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = from;
    this.data[this.length + 1] = to;
    this.length += 2;
  }

  /** The pairs, valid until the next profile's scan; empties the list for it. */
  take(): Uint32Array {
    const pairs = this.data.subarray(0, this.length);
    // A huge profile's array is not kept (the view keeps it alive for this decode only).
    if (this.data.length > SCRATCH_MAX_ENTRIES) this.data = new Uint32Array(1024);
    this.length = 0;
    return pairs;
  }
}

const sampleSpans = new Spans();
const locationSpans = new Spans();
const functionSpans = new Spans();
const mappingSpans = new Spans();
const stringSpans = new Spans();

interface Ranges {
  samples: Uint32Array;
  locations: Uint32Array;
  functions: Uint32Array;
  mappings: Uint32Array;
  strings: Uint32Array;
  sampleTypes: number[];
  /** String indices, not ranges: field 13 is repeated int64, packed or not. */
  comments: number[];
  periodType: number[];
  sampleBytes: number;
  locationBytes: number;
  dropFrames: number;
  keepFrames: number;
  timeNs: number;
  durationNs: number;
  period: number;
  defaultSampleType: number;
}

function scanTopLevel(end: number, limits: DecodeLimits): Ranges {
  const maxStringBytes = limits.maxStringBytes;
  const maxSamples2 = 2 * limits.maxSamples;
  const maxStrings2 = 2 * limits.maxStrings;
  const maxLocations2 = 2 * limits.maxLocations;
  const maxFunctions2 = 2 * limits.maxFunctions;
  // Empty, even if the last profile's scan threw midway.
  for (const spans of [sampleSpans, locationSpans, functionSpans, mappingSpans, stringSpans]) spans.take();
  const sampleTypes: number[] = [];
  const periodType: number[] = [];
  const comments: number[] = [];
  let sampleBytes = 0;
  let locationBytes = 0;
  let dropFrames = 0;
  let keepFrames = 0;
  let timeNs = 0;
  let durationNs = 0;
  let period = 0;
  let defaultSampleType = 0;
  while (pos < end) {
    const tag = varint(end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 2) {
      const e = fieldEnd(end);
      switch (field) {
        case 1:
          sampleTypes.push(pos, e);
          break;
        case 2:
          sampleSpans.push(pos, e);
          sampleBytes += e - pos;
          if (sampleSpans.length > maxSamples2) checkLimit(limits, 'maxSamples', sampleSpans.length / 2, 'the profile');
          break;
        case 3:
          mappingSpans.push(pos, e);
          break;
        case 4:
          locationSpans.push(pos, e);
          locationBytes += e - pos;
          if (locationSpans.length > maxLocations2) {
            checkLimit(limits, 'maxLocations', locationSpans.length / 2, 'the profile');
          }
          break;
        case 5:
          functionSpans.push(pos, e);
          if (functionSpans.length > maxFunctions2) {
            checkLimit(limits, 'maxFunctions', functionSpans.length / 2, 'the profile');
          }
          break;
        case 6:
          if (e - pos > maxStringBytes) {
            checkLimit(limits, 'maxStringBytes', e - pos, `string ${stringSpans.length / 2} at offset ${pos}`);
          }
          stringSpans.push(pos, e);
          if (stringSpans.length > maxStrings2)
            checkLimit(limits, 'maxStrings', stringSpans.length / 2, 'the string table');
          break;
        case 11:
          periodType.push(pos, e);
          break;
        case 13:
          // Packed comments: string indices.
          while (pos < e) comments.push(int64(e));
          break;
        default:
          if (field >= 7 && field <= 14) invalid(`field ${field} has wire type 2`);
      }
      pos = e;
      continue;
    }
    if (field >= 1 && field <= 6) invalid(`field ${field} has wire type ${wire}`);
    if (wire !== 0) {
      skip(wire, end);
      continue;
    }
    const v = field === 9 || field === 10 || field === 12 || field === 13 ? int64(end) : varint(end);
    switch (field) {
      case 7:
        dropFrames = v;
        break;
      case 8:
        keepFrames = v;
        break;
      case 9:
        timeNs = v;
        break;
      case 10:
        durationNs = v;
        break;
      case 12:
        period = v;
        break;
      case 13:
        comments.push(v);
        break;
      case 14:
        defaultSampleType = v;
        break;
    }
  }
  return {
    samples: sampleSpans.take(),
    locations: locationSpans.take(),
    functions: functionSpans.take(),
    mappings: mappingSpans.take(),
    strings: stringSpans.take(),
    sampleTypes,
    comments,
    periodType,
    sampleBytes,
    locationBytes,
    dropFrames,
    keepFrames,
    timeNs,
    durationNs,
    period,
    defaultSampleType,
  };
}

function decode(end: number, limits: DecodeLimits, withIds: boolean): Profile {
  const r = scanTopLevel(end, limits);

  // The fixed-size columns, in one allocation (Columns): sizes are known from the scan.
  const fnCount = r.functions.length / 2;
  const locCount = r.locations.length / 2;
  const sampleCount = r.samples.length / 2;
  const stride = r.sampleTypes.length / 2;
  // Each value takes a byte of the samples at least. Past that some sample lacks values (an
  // error below anyway), and the value column would outgrow the input: 10,000 empty samples
  // and 10,000 empty sample types are 40 KB of pprof and 800 MB of values.
  if (sampleCount * stride > r.sampleBytes) {
    invalid(
      `${sampleCount} samples of ${stride} sample types need ${sampleCount * stride} bytes of values at least, the samples have ${r.sampleBytes}`,
    );
  }
  // A profile without a string table still has its empty string (and its id).
  const idCount = withIds ? Math.max(1, r.strings.length / 2) : 0;
  const columns = new Columns(
    fnCount + locCount + sampleCount * stride,
    3 * fnCount + 2 * locCount + 1 + 2 * sampleCount + 1 + 2 * idCount,
    locCount,
  );
  const strings = new Array<string>(r.strings.length / 2);
  let stringIds: NameIds | undefined;
  if (withIds) stringIds = decodeStringsWithIds(r.strings, strings, columns.uint32(idCount), columns.uint32(idCount));
  else for (let i = 0; i < strings.length; i++) strings[i] = decodeUtf8(buf, r.strings[2 * i]!, r.strings[2 * i + 1]!);
  if (strings.length === 0) strings.push('');
  if (strings[0] !== '') invalid('string_table[0] must be the empty string');
  const str = (i: number, what: string): string => {
    const s = strings[i];
    if (s === undefined) invalid(`${what} refers to string ${i}, the table has ${strings.length}`);
    return s;
  };
  // The message is built only on error: this runs three times per function.
  const fnStrRef = (i: number, fn: number, field: string): number => {
    if (i >= strings.length) invalid(`function ${fn} ${field} refers to string ${i}, the table has ${strings.length}`);
    return i;
  };

  const valueType = (start: number, e: number, what: string): ValueType => {
    pos = start;
    let type = 0;
    let unit = 0;
    while (pos < e) {
      const tag = varint(e);
      if (tag === 8) type = varint(e);
      else if (tag === 16) unit = varint(e);
      else skip(tag & 7, e);
    }
    return { type: str(type, what), unit: str(unit, what) };
  };
  const sampleTypes: ValueType[] = [];
  for (let i = 0; i < r.sampleTypes.length; i += 2) {
    sampleTypes.push(valueType(r.sampleTypes[i]!, r.sampleTypes[i + 1]!, 'sample_type'));
  }
  if (sampleTypes.length === 0) invalid('the profile has no sample_type');
  const periodType =
    r.periodType.length >= 2
      ? valueType(r.periodType[r.periodType.length - 2]!, r.periodType.at(-1)!, 'period_type')
      : null;

  // Functions.
  const fnIds = scratchIds(FUNCTION_IDS, fnCount);
  const fnName = columns.uint32(fnCount);
  const fnSystemName = columns.uint32(fnCount);
  const fnFilename = columns.uint32(fnCount);
  const fnStartLine = columns.float64(fnCount);
  for (let i = 0; i < fnCount; i++) {
    const e = r.functions[2 * i + 1]!;
    pos = r.functions[2 * i]!;
    while (pos < e) {
      const tag = varint(e);
      switch (tag) {
        case 8:
          fnIds[i] = varint(e);
          break;
        case 16:
          fnName[i] = fnStrRef(varint(e), i, 'name');
          break;
        case 24:
          fnSystemName[i] = fnStrRef(varint(e), i, 'system_name');
          break;
        case 32:
          fnFilename[i] = fnStrRef(varint(e), i, 'filename');
          break;
        case 40:
          fnStartLine[i] = int64(e);
          break;
        default:
          skip(tag & 7, e);
      }
    }
  }
  const functionIndex = new IdIndex(fnIds, FUNCTION_IDS, 'function');

  // Mappings.
  const mappingCount = r.mappings.length / 2;
  const mappingIds = scratchIds(MAPPING_IDS, mappingCount);
  const mappings: Mapping[] = [];
  for (let i = 0; i < mappingCount; i++) {
    const e = r.mappings[2 * i + 1]!;
    pos = r.mappings[2 * i]!;
    const m = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    while (pos < e) {
      const tag = varint(e);
      const field = tag >>> 3;
      if (field >= 1 && field <= 10 && (tag & 7) === 0) m[field - 1] = varint(e);
      else skip(tag & 7, e);
    }
    mappingIds[i] = m[0]!;
    mappings.push({
      memoryStart: m[1]!,
      memoryLimit: m[2]!,
      fileOffset: m[3]!,
      filename: str(m[4]!, `mapping ${i} filename`),
      buildId: str(m[5]!, `mapping ${i} build_id`),
      hasFunctions: m[6] !== 0,
      hasFilenames: m[7] !== 0,
      hasLineNumbers: m[8] !== 0,
      hasInlineFrames: m[9] !== 0,
    });
  }
  const mappingIndex = new IdIndex(mappingIds, MAPPING_IDS, 'mapping');

  // Locations. A Line message takes at least 2 bytes, which bounds the line columns.
  const locIds = scratchIds(LOCATION_IDS, locCount);
  const locMapping = columns.int32(locCount);
  const locAddress = columns.float64(locCount);
  const lineStart = columns.uint32(locCount + 1);
  const locFolded = columns.uint8(locCount);
  const [lineFunction, lineNumber] = scratchLines(Math.floor(r.locationBytes / 2) + 1);
  let lines = 0;
  for (let i = 0; i < locCount; i++) {
    const e = r.locations[2 * i + 1]!;
    pos = r.locations[2 * i]!;
    lineStart[i] = lines;
    let mappingId = 0;
    while (pos < e) {
      const tag = varint(e);
      switch (tag) {
        case 8:
          locIds[i] = varint(e);
          break;
        case 16:
          mappingId = varint(e);
          break;
        case 24:
          locAddress[i] = varint(e);
          break;
        case 34: {
          const le = fieldEnd(e);
          let fnId = 0;
          let line = 0;
          while (pos < le) {
            const t = varint(le);
            if (t === 8) fnId = varint(le);
            else if (t === 16) line = int64(le);
            else skip(t & 7, le);
          }
          const fn = functionIndex.get(fnId);
          if (fn === -1) invalid(`a line of location ${i} refers to function id ${fnId}, which is not defined`);
          lineFunction[lines] = fn;
          lineNumber[lines] = line;
          lines++;
          break;
        }
        case 40:
          locFolded[i] = varint(e) === 0 ? 0 : 1;
          break;
        default:
          skip(tag & 7, e);
      }
    }
    if (mappingId === 0) {
      locMapping[i] = -1;
    } else {
      const m = mappingIndex.get(mappingId);
      if (m === -1) invalid(`location ${i} refers to mapping id ${mappingId}, which is not defined`);
      locMapping[i] = m;
    }
  }
  lineStart[locCount] = lines;
  const locationIndex = new IdIndex(locIds, LOCATION_IDS, 'location');

  // Samples. Each location id and value takes at least one byte, which bounds the columns.
  const maxDepth = limits.maxStackDepth;
  const stackStart = columns.uint32(sampleCount + 1);
  const stackBound = scratchStack(r.sampleBytes);
  const values = columns.float64(sampleCount * stride);
  const labelSet = columns.uint32(sampleCount);
  const labels = new LabelSetTable();
  const rawLabels: number[] = [];
  let depthTotal = 0;
  const denseIds = locationIndex.dense ?? new Int32Array(0);
  const denseLength = denseIds.length;
  for (let s = 0; s < sampleCount; s++) {
    const e = r.samples[2 * s + 1]!;
    pos = r.samples[2 * s]!;
    stackStart[s] = depthTotal;
    let valueCount = 0;
    let labelNumbers = 0;
    while (pos < e) {
      const tag = varint(e);
      if (tag === 10) {
        const fe = fieldEnd(e);
        // The cursor in locals for this loop, the hottest of the decoder (33,000 ids in a busy
        // profile): module variables live in memory, and every pos++ was a load and a store.
        const bytes = buf;
        let p = pos;
        let depth = depthTotal;
        while (p < fe) {
          // Location ids are small: most take one or two bytes.
          let id = bytes[p]!;
          if (id < 0x80) p++;
          else if (p + 1 < fe && bytes[p + 1]! < 0x80) {
            id = (id & 0x7f) | (bytes[p + 1]! << 7);
            p += 2;
          } else {
            pos = p;
            id = varint(fe);
            p = pos;
          }
          const loc = id < denseLength ? denseIds[id]! : locationIndex.get(id);
          if (loc === -1) {
            pos = p;
            invalid(`sample ${s} refers to location id ${id}, which is not defined`);
          }
          stackBound[depth++] = loc;
        }
        pos = p;
        depthTotal = depth;
      } else if (tag === 18) {
        const fe = fieldEnd(e);
        while (pos < fe) {
          const v = int64(fe);
          if (valueCount < stride) values[s * stride + valueCount] = v;
          valueCount++;
        }
      } else if (tag === 8) {
        const id = varint(e);
        const loc = locationIndex.get(id);
        if (loc === -1) invalid(`sample ${s} refers to location id ${id}, which is not defined`);
        stackBound[depthTotal++] = loc;
      } else if (tag === 16) {
        const v = int64(e);
        if (valueCount < stride) values[s * stride + valueCount] = v;
        valueCount++;
      } else if (tag === 26) {
        const le = fieldEnd(e);
        const at = labelNumbers;
        labelNumbers += 4;
        rawLabels[at] = rawLabels[at + 1] = rawLabels[at + 2] = rawLabels[at + 3] = 0;
        while (pos < le) {
          const t = varint(le);
          if (t === 8) rawLabels[at] = varint(le);
          else if (t === 16) rawLabels[at + 1] = varint(le);
          else if (t === 24) rawLabels[at + 2] = int64(le);
          else if (t === 32) rawLabels[at + 3] = varint(le);
          else skip(t & 7, le);
        }
      } else {
        skip(tag & 7, e);
      }
    }
    if (valueCount !== stride) invalid(`sample ${s} has ${valueCount} values, the profile has ${stride} sample types`);
    if (depthTotal - stackStart[s]! > maxDepth)
      checkLimit(limits, 'maxStackDepth', depthTotal - stackStart[s]!, `sample ${s}`);
    labelSet[s] = labelNumbers === 0 ? 0 : labels.intern(rawLabels, labelNumbers);
  }
  stackStart[sampleCount] = depthTotal;

  const labelSets: Label[][] = labels.sets.map((raw) => {
    const out: Label[] = [];
    for (let i = 0; i < raw.length; i += 4) {
      const key = str(raw[i]!, 'a label key');
      if (raw[i + 1] !== 0) out.push({ key, str: str(raw[i + 1]!, `label ${key}`) });
      else if (raw[i + 3] !== 0) out.push({ key, num: raw[i + 2]!, unit: str(raw[i + 3]!, `label ${key} unit`) });
      else out.push({ key, num: raw[i + 2]! });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  });

  // pprof's rule: default_sample_type names a type; without it, the last type is the default.
  let defaultSampleType = sampleTypes.length - 1;
  if (r.defaultSampleType !== 0) {
    const name = str(r.defaultSampleType, 'default_sample_type');
    const i = sampleTypes.findIndex((t) => t.type === name);
    if (i !== -1) defaultSampleType = i;
  }

  // The columns whose length the loops found, copied out of the scratch in one allocation too.
  const found = new Columns(lines, lines + depthTotal);
  const lineNumbers = found.float64(lines);
  lineNumbers.set(lineNumber.subarray(0, lines));
  const lineFunctions = found.uint32(lines);
  lineFunctions.set(lineFunction.subarray(0, lines));
  const stack = found.uint32(depthTotal);
  stack.set(stackBound.subarray(0, depthTotal));

  return {
    sampleTypes,
    defaultSampleType,
    periodType,
    period: r.period,
    timeNs: r.timeNs,
    durationNs: r.durationNs,
    strings,
    stringIds,
    functions: {
      length: fnCount,
      name: fnName,
      systemName: fnSystemName,
      filename: fnFilename,
      startLine: fnStartLine,
    },
    locations: {
      length: locCount,
      mapping: locMapping,
      address: locAddress,
      isFolded: locFolded,
      lineStart,
      lineFunction: lineFunctions,
      lineNumber: lineNumbers,
    },
    mappings,
    samples: {
      length: sampleCount,
      stackStart,
      stack,
      values,
      labelSet,
      labelSets,
    },
    comments: r.comments.map((c) => str(c, 'a comment')),
    dropFrames: str(r.dropFrames, 'drop_frames'),
    keepFrames: str(r.keepFrames, 'keep_frames'),
  };
}

/**
 * Decodes the strings into `strings` and returns each one's content id, hashed from its bytes
 * while they are in the cache; a string that is not all ASCII is hashed again as decoded text,
 * so invalid UTF-8 gets the id of what decodeUtf8 made of it.
 */
function decodeStringsWithIds(ranges: Uint32Array, strings: string[], hi: Uint32Array, lo: Uint32Array): NameIds {
  // A profile without a string table has its one empty string all the same.
  if (strings.length === 0) strings.push('');
  if (ranges.length === 0) nameIdOfText('', hi, lo, 0);
  for (let i = 0; i < ranges.length / 2; i++) {
    const from = ranges[2 * i]!;
    const to = ranges[2 * i + 1]!;
    const s = (strings[i] = decodeUtf8(buf, from, to));
    if (!nameIdOfBytes(buf, from, to, hi, lo, i)) nameIdOfText(s, hi, lo, i);
  }
  return { hi, lo };
}

/** pprof ids to table indices: a dense array when ids are small (Go writes 1..N), else a Map. */
class IdIndex {
  readonly dense: Int32Array | null = null;
  private readonly map: Map<number, number> | null = null;

  /** `table` names the scratch the dense index is a view of (valid until the next decode). */
  constructor(ids: Float64Array, table: number, what: string) {
    let max = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i]! > max) max = ids[i]!;
    const repeated = (id: number): never => invalid(`${what} id ${id} is ${id === 0 ? 'zero' : 'used twice'}`);
    if (max <= 4 * ids.length + 1024) {
      const dense = scratchDense(table, max + 1);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id === 0 || dense[id] !== -1) repeated(id);
        dense[id] = i;
      }
      this.dense = dense;
    } else {
      const map = new Map<number, number>();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id === 0 || map.has(id)) repeated(id);
        map.set(id, i);
      }
      this.map = map;
    }
  }

  /** The index of `id`, or -1. */
  get(id: number): number {
    if (this.dense !== null) return id < this.dense.length ? this.dense[id]! : -1;
    return this.map!.get(id) ?? -1;
  }
}

/**
 * Interns label sets given as flat [key, str, num, unit, ...] numbers. Keyed by a 32-bit hash
 * with collisions checked, because building a string key per sample cost more than the rest
 * of the sample's decoding.
 */
class LabelSetTable {
  readonly sets: number[][] = [[]];
  private readonly byHash = new Map<number, number[]>();

  /** The id of the set in `raw[0..n)`; it is copied when new, so callers may reuse `raw`. */
  intern(raw: number[], n: number): number {
    let h = n;
    for (let i = 0; i < n; i++) h = (Math.imul(h ^ (raw[i]! | 0), 0x9e3779b1) + i) | 0;
    const candidates = this.byHash.get(h);
    if (candidates !== undefined) {
      for (const id of candidates) if (sameNumbers(this.sets[id]!, raw, n)) return id;
    }
    const id = this.sets.length;
    this.sets.push(raw.slice(0, n));
    if (candidates === undefined) this.byHash.set(h, [id]);
    else candidates.push(id);
    return id;
  }
}

function sameNumbers(a: number[], b: number[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
