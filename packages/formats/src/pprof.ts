import type { Label, Mapping, Profile, ValueType } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { gunzip, gzip, isGzip } from './gzip.js';
import { checkLimit, resolveLimits, type DecodeLimits, type ParseOptions } from './limits.js';
import { ProtobufReader } from './protobuf-reader.js';
import { Growable } from '@kiln/model';
import { decodeUtf8 } from './utf8.js';

// Field numbers of profile.proto (github.com/google/pprof/proto/profile.proto).
const F = {
  sampleType: 1,
  sample: 2,
  mapping: 3,
  location: 4,
  function: 5,
  stringTable: 6,
  dropFrames: 7,
  keepFrames: 8,
  timeNanos: 9,
  durationNanos: 10,
  periodType: 11,
  period: 12,
  comment: 13,
  defaultSampleType: 14,
} as const;

/** Wire type each top-level field must have (packed repeated comments may be 0 or 2). */
const WIRE_TYPES: readonly (readonly number[])[] = [
  [],
  [2],
  [2],
  [2],
  [2],
  [2],
  [2],
  [0],
  [0],
  [0],
  [0],
  [2],
  [0],
  [0, 2],
  [0],
];

/**
 * Sniffs uncompressed pprof: the first fields (up to 16) must be profile.proto fields with
 * their wire types and lengths that fit. Cheap, and false for text and JSON.
 */
export function isPprof(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const r = new ProtobufReader(bytes);
  try {
    for (let i = 0; i < 16 && r.pos < r.end; i++) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      if (field < 1 || field > 14 || !WIRE_TYPES[field]!.includes(tag & 7)) return false;
      r.skip(tag & 7);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a pprof profile (profile.proto), gzipped or not. Returns null when the bytes are not
 * pprof; throws ERR_FORMAT_* when they are but are broken or over a limit.
 *
 * @example
 *   const profile = parsePprof(readFileSync('cpu.pb.gz'));
 *   if (profile) console.log(profile.sampleTypes); // [{ type: 'samples', unit: 'count' }, ...]
 */
export function parsePprof(bytes: Uint8Array, options: ParseOptions = {}): Profile | null {
  const limits = resolveLimits(options.limits);
  const raw = isGzip(bytes) ? gunzip(bytes, limits.maxDecompressedBytes) : bytes;
  if (!isPprof(raw)) return null;
  return decodePprof(raw, limits);
}

/** Decodes uncompressed profile.proto bytes in one pass into the columnar Profile. */
export function decodePprof(bytes: Uint8Array, limits: DecodeLimits = resolveLimits()): Profile {
  checkLimit(limits, 'maxDecompressedBytes', bytes.length, 'the profile');
  const r = new ProtobufReader(bytes);
  const sampleTypes: number[] = [];
  const stackStart = new Growable(Uint32Array, 1024);
  const stackIds = new Growable(Float64Array, 8192);
  const values = new Growable(Float64Array, 2048);
  const valueStart = new Growable(Uint32Array, 1024);
  const labelSet = new Growable(Uint32Array, 1024);
  const labelSetKeys = new Map<string, number>([['', 0]]);
  const rawLabelSets: number[][] = [[]];
  const mappings: number[][] = [];
  const loc = {
    id: new Growable(Float64Array, 1024),
    mapping: new Growable(Float64Array, 1024),
    address: new Growable(Float64Array, 1024),
    folded: new Growable(Uint8Array, 1024),
    lineStart: new Growable(Uint32Array, 1024),
    lineFn: new Growable(Float64Array, 1024),
    lineNo: new Growable(Float64Array, 1024),
  };
  const fn = {
    id: new Growable(Float64Array, 1024),
    name: new Growable(Float64Array, 1024),
    systemName: new Growable(Float64Array, 1024),
    filename: new Growable(Float64Array, 1024),
    startLine: new Growable(Float64Array, 1024),
  };
  const strStart = new Growable(Uint32Array, 1024);
  const strEnd = new Growable(Uint32Array, 1024);
  const comments: number[] = [];
  let dropFrames = 0;
  let keepFrames = 0;
  let timeNs = 0;
  let durationNs = 0;
  let periodType: number[] | null = null;
  let period = 0;
  let defaultSampleType = 0;
  stackStart.push(0);
  valueStart.push(0);
  loc.lineStart.push(0);

  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field >= 1 && field <= 14 && !WIRE_TYPES[field]!.includes(wire)) {
      r.invalid(`field ${field} has wire type ${wire} at offset ${r.pos}`);
    }
    switch (field) {
      case F.sampleType:
        sampleTypes.push(...readValueType(r));
        break;
      case F.sample:
        readSample(r, limits, stackStart, stackIds, values, valueStart, labelSet, labelSetKeys, rawLabelSets);
        break;
      case F.mapping:
        mappings.push(readMapping(r));
        break;
      case F.location:
        readLocation(r, loc);
        checkLimit(limits, 'maxLocations', loc.id.length, 'the profile');
        break;
      case F.function:
        readFunction(r, fn);
        checkLimit(limits, 'maxFunctions', fn.id.length, 'the profile');
        break;
      case F.stringTable: {
        const end = r.lengthDelimited();
        checkLimit(limits, 'maxStringBytes', end - r.pos, `string ${strStart.length} at offset ${r.pos}`);
        strStart.push(r.pos);
        strEnd.push(end);
        r.pos = end;
        checkLimit(limits, 'maxStrings', strStart.length, 'the string table');
        break;
      }
      case F.dropFrames:
        dropFrames = r.varint();
        break;
      case F.keepFrames:
        keepFrames = r.varint();
        break;
      case F.timeNanos:
        timeNs = r.int64();
        break;
      case F.durationNanos:
        durationNs = r.int64();
        break;
      case F.periodType:
        periodType = readValueType(r);
        break;
      case F.period:
        period = r.int64();
        break;
      case F.comment:
        readRepeatedVarint(r, wire, (v) => comments.push(v));
        break;
      case F.defaultSampleType:
        defaultSampleType = r.varint();
        break;
      default:
        r.skip(wire);
    }
  }

  // Resolve: strings first, then ids to indices.
  const strings = new Array<string>(strStart.length);
  for (let i = 0; i < strStart.length; i++) strings[i] = decodeUtf8(bytes, strStart.get(i), strEnd.get(i));
  if (strings.length === 0) strings.push('');
  if (strings[0] !== '') throw invalid('string_table[0] must be the empty string');
  const str = (i: number, what: string): string => {
    const s = strings[i];
    if (s === undefined) throw invalid(`${what} refers to string ${i}, the table has ${strings.length}`);
    return s;
  };
  const valueType = (pair: number[], what: string): ValueType => ({
    type: str(pair[0]!, what),
    unit: str(pair[1]!, what),
  });
  const types: ValueType[] = [];
  for (let i = 0; i < sampleTypes.length; i += 2) types.push(valueType(sampleTypes.slice(i, i + 2), 'sample_type'));
  const stride = types.length;
  if (stride === 0) throw invalid('the profile has no sample_type');

  const functionIndex = idIndex(fn.id, 'function');
  const fnCount = fn.id.length;
  const functions = {
    length: fnCount,
    name: new Uint32Array(fnCount),
    systemName: new Uint32Array(fnCount),
    filename: new Uint32Array(fnCount),
    startLine: fn.startLine.finish(),
  };
  for (let i = 0; i < fnCount; i++) {
    functions.name[i] = stringRef(fn.name.get(i), strings.length, `function ${i} name`);
    functions.systemName[i] = stringRef(fn.systemName.get(i), strings.length, `function ${i} system_name`);
    functions.filename[i] = stringRef(fn.filename.get(i), strings.length, `function ${i} filename`);
  }

  const mappingIds = new Growable(Float64Array, Math.max(mappings.length, 1));
  for (const m of mappings) mappingIds.push(m[0]!);
  const mappingIndex = idIndex(mappingIds, 'mapping');
  const resolvedMappings: Mapping[] = mappings.map((m, i) => ({
    memoryStart: m[1]!,
    memoryLimit: m[2]!,
    fileOffset: m[3]!,
    filename: str(m[4]!, `mapping ${i} filename`),
    buildId: str(m[5]!, `mapping ${i} build_id`),
    hasFunctions: m[6] === 1,
    hasFilenames: m[7] === 1,
    hasLineNumbers: m[8] === 1,
    hasInlineFrames: m[9] === 1,
  }));

  const locCount = loc.id.length;
  const locationIndex = idIndex(loc.id, 'location');
  const locMapping = new Int32Array(locCount);
  for (let i = 0; i < locCount; i++) {
    const id = loc.mapping.get(i);
    locMapping[i] = id === 0 ? -1 : lookup(mappingIndex, id, `location ${i} mapping_id`);
  }
  const lineFunction = new Uint32Array(loc.lineFn.length);
  for (let i = 0; i < lineFunction.length; i++) {
    lineFunction[i] = lookup(functionIndex, loc.lineFn.get(i), `a line of location ${i}`);
  }

  const sampleCount = labelSet.length;
  const stack = new Uint32Array(stackIds.length);
  for (let i = 0; i < stack.length; i++) stack[i] = lookup(locationIndex, stackIds.get(i), 'a sample');
  let sampleValues = values.finish();
  const starts = valueStart.finish();
  if (sampleValues.length !== sampleCount * stride) {
    // Every sample must carry one value per sample type; find the first that does not.
    for (let s = 0; s < sampleCount; s++) {
      const n = starts[s + 1]! - starts[s]!;
      if (n !== stride) throw invalid(`sample ${s} has ${n} values, the profile has ${stride} sample types`);
    }
  }
  if (sampleValues.length === 0) sampleValues = new Float64Array(0);

  const labelSets: Label[][] = rawLabelSets.map((raw) => {
    const labels: Label[] = [];
    for (let i = 0; i < raw.length; i += 4) {
      const key = str(raw[i]!, 'a label key');
      if (raw[i + 1] !== 0) labels.push({ key, str: str(raw[i + 1]!, `label ${key}`) });
      else if (raw[i + 3] !== 0) labels.push({ key, num: raw[i + 2]!, unit: str(raw[i + 3]!, `label ${key} unit`) });
      else labels.push({ key, num: raw[i + 2]! });
    }
    return labels.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  });

  if (defaultSampleType !== 0) {
    const name = strings[defaultSampleType];
    const idx = types.findIndex((t) => t.type === name);
    defaultSampleType = idx === -1 ? types.length - 1 : idx;
  } else {
    // pprof's rule: without default_sample_type, the last sample type is the default.
    defaultSampleType = types.length - 1;
  }

  return {
    sampleTypes: types,
    defaultSampleType,
    periodType: periodType ? valueType(periodType, 'period_type') : null,
    period,
    timeNs,
    durationNs,
    strings,
    functions,
    locations: {
      length: locCount,
      mapping: locMapping,
      address: loc.address.finish(),
      isFolded: loc.folded.finish(),
      lineStart: loc.lineStart.finish(),
      lineFunction,
      lineNumber: loc.lineNo.finish(),
    },
    mappings: resolvedMappings,
    samples: {
      length: sampleCount,
      stackStart: stackStart.finish(),
      stack,
      values: sampleValues,
      labelSet: labelSet.finish(),
      labelSets,
    },
    comments: comments.map((c) => str(c, 'a comment')),
    dropFrames: str(dropFrames, 'drop_frames'),
    keepFrames: str(keepFrames, 'keep_frames'),
  };
}

function readValueType(r: ProtobufReader): number[] {
  const end = r.lengthDelimited();
  let type = 0;
  let unit = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 8) type = r.varint();
    else if (tag === 16) unit = r.varint();
    else r.skip(tag & 7);
  }
  endField(r, end);
  return [type, unit];
}

function readSample(
  r: ProtobufReader,
  limits: DecodeLimits,
  stackStart: Growable<Uint32Array>,
  stackIds: Growable<Float64Array>,
  values: Growable<Float64Array>,
  valueStart: Growable<Uint32Array>,
  labelSet: Growable<Uint32Array>,
  labelSetKeys: Map<string, number>,
  rawLabelSets: number[][],
): void {
  const end = r.lengthDelimited();
  const outer = r.end;
  r.end = end;
  let labels: number[] | null = null;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 10: {
        // Packed location ids, the common case.
        const fieldEnd = r.lengthDelimited();
        while (r.pos < fieldEnd) stackIds.push(r.varint());
        break;
      }
      case 8:
        stackIds.push(r.varint());
        break;
      case 18: {
        const fieldEnd = r.lengthDelimited();
        while (r.pos < fieldEnd) values.push(r.int64());
        break;
      }
      case 16:
        values.push(r.int64());
        break;
      case 26:
        (labels ??= []).push(...readLabel(r));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.end = outer;
  const sample = labelSet.length;
  checkLimit(limits, 'maxSamples', sample + 1, 'the profile');
  checkLimit(limits, 'maxStackDepth', stackIds.length - stackStart.get(sample), `sample ${sample}`);
  stackStart.push(stackIds.length);
  valueStart.push(values.length);
  if (labels === null) {
    labelSet.push(0);
  } else {
    const key = labels.join(',');
    let id = labelSetKeys.get(key);
    if (id === undefined) {
      id = rawLabelSets.length;
      rawLabelSets.push(labels);
      labelSetKeys.set(key, id);
    }
    labelSet.push(id);
  }
}

/** [key, str, num, num_unit] string indices and number. */
function readLabel(r: ProtobufReader): number[] {
  const end = r.lengthDelimited();
  const out = [0, 0, 0, 0];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 8) out[0] = r.varint();
    else if (tag === 16) out[1] = r.varint();
    else if (tag === 24) out[2] = r.int64();
    else if (tag === 32) out[3] = r.varint();
    else r.skip(tag & 7);
  }
  endField(r, end);
  return out;
}

/** [id, memory_start, memory_limit, file_offset, filename, build_id, 4 flags]. */
function readMapping(r: ProtobufReader): number[] {
  const end = r.lengthDelimited();
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    if (field >= 1 && field <= 10 && (tag & 7) === 0) m[field - 1] = r.varint();
    else r.skip(tag & 7);
  }
  endField(r, end);
  return m;
}

function readLocation(
  r: ProtobufReader,
  loc: {
    id: Growable<Float64Array>;
    mapping: Growable<Float64Array>;
    address: Growable<Float64Array>;
    folded: Growable<Uint8Array>;
    lineStart: Growable<Uint32Array>;
    lineFn: Growable<Float64Array>;
    lineNo: Growable<Float64Array>;
  },
): void {
  const end = r.lengthDelimited();
  let id = 0;
  let mapping = 0;
  let address = 0;
  let folded = 0;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 8:
        id = r.varint();
        break;
      case 16:
        mapping = r.varint();
        break;
      case 24:
        address = r.varint();
        break;
      case 34: {
        const lineEnd = r.lengthDelimited();
        let fnId = 0;
        let line = 0;
        while (r.pos < lineEnd) {
          const t = r.varint();
          if (t === 8) fnId = r.varint();
          else if (t === 16) line = r.int64();
          else r.skip(t & 7);
        }
        endField(r, lineEnd);
        loc.lineFn.push(fnId);
        loc.lineNo.push(line);
        break;
      }
      case 40:
        folded = r.varint() === 0 ? 0 : 1;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  endField(r, end);
  loc.id.push(id);
  loc.mapping.push(mapping);
  loc.address.push(address);
  loc.folded.push(folded);
  loc.lineStart.push(loc.lineFn.length);
}

function readFunction(
  r: ProtobufReader,
  fn: {
    id: Growable<Float64Array>;
    name: Growable<Float64Array>;
    systemName: Growable<Float64Array>;
    filename: Growable<Float64Array>;
    startLine: Growable<Float64Array>;
  },
): void {
  const end = r.lengthDelimited();
  const f = [0, 0, 0, 0, 0];
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    if (field >= 1 && field <= 5 && (tag & 7) === 0) f[field - 1] = field === 5 ? r.int64() : r.varint();
    else r.skip(tag & 7);
  }
  endField(r, end);
  fn.id.push(f[0]!);
  fn.name.push(f[1]!);
  fn.systemName.push(f[2]!);
  fn.filename.push(f[3]!);
  fn.startLine.push(f[4]!);
}

function readRepeatedVarint(r: ProtobufReader, wire: number, each: (v: number) => void): void {
  if (wire === 0) {
    each(r.varint());
    return;
  }
  const end = r.lengthDelimited();
  while (r.pos < end) each(r.varint());
  endField(r, end);
}

function endField(r: ProtobufReader, end: number): void {
  if (r.pos !== end) r.invalid(`a nested field overruns its message at offset ${r.pos}`);
}

/** Maps pprof ids to table indices: a dense array when ids are small (Go writes 1..N), else a Map. */
function idIndex(ids: Growable<Float64Array>, what: string): (id: number) => number {
  const n = ids.length;
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, ids.get(i));
  if (max <= 4 * n + 1024) {
    const dense = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      const id = ids.get(i);
      if (id === 0 || dense[id] !== -1) throw invalid(`${what} id ${id} is ${id === 0 ? 'zero' : 'repeated'}`);
      dense[id] = i;
    }
    return (id) => (id <= max ? dense[id]! : -1);
  }
  const map = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const id = ids.get(i);
    if (id === 0 || map.has(id)) throw invalid(`${what} id ${id} is ${id === 0 ? 'zero' : 'repeated'}`);
    map.set(id, i);
  }
  return (id) => map.get(id) ?? -1;
}

function lookup(index: (id: number) => number, id: number, what: string): number {
  const i = index(id);
  if (i === -1) throw invalid(`${what} refers to id ${id}, which is not defined`);
  return i;
}

function stringRef(i: number, count: number, what: string): number {
  if (i >= count) throw invalid(`${what} refers to string ${i}, the table has ${count}`);
  return i;
}

function invalid(message: string): Error {
  return formatError(FormatErrorCode.invalid, `invalid pprof: ${message}`);
}
