import type { Profile } from '@kiln/model';
import { gzip } from './gzip.js';
import { ProtobufWriter } from './protobuf-writer.js';

export interface SerializePprofOptions {
  /** gzip the output, as Go's net/http/pprof serves it. Default true. */
  gzip?: boolean;
}

/**
 * Writes a Profile as pprof (profile.proto). Ids are table index + 1; the string table is the
 * profile's own, plus any string it lacks (sample type names are always present).
 *
 * @example
 *   writeFileSync('out.pb.gz', serializePprof(profile));
 */
export function serializePprof(profile: Profile, options: SerializePprofOptions = {}): Uint8Array {
  const strings = [...profile.strings];
  if (strings[0] !== '') strings.unshift('');
  const index = new Map<string, number>();
  strings.forEach((s, i) => {
    if (!index.has(s)) index.set(s, i);
  });
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const shift = strings.length === profile.strings.length ? 0 : 1;

  const out = new ProtobufWriter();
  const m = new ProtobufWriter();
  const inner = new ProtobufWriter();
  const scratch = new ProtobufWriter();

  for (const t of profile.sampleTypes) {
    m.uint(1, intern(t.type));
    m.uint(2, intern(t.unit));
    out.message(1, m);
  }

  const { samples } = profile;
  const stride = profile.sampleTypes.length;
  const ids = new Float64Array(samples.stack.length);
  for (let i = 0; i < ids.length; i++) ids[i] = samples.stack[i]! + 1;
  for (let s = 0; s < samples.length; s++) {
    m.packed(1, ids, samples.stackStart[s]!, samples.stackStart[s + 1]!, scratch);
    m.packed(2, samples.values, s * stride, (s + 1) * stride, scratch);
    for (const l of samples.labelSets[samples.labelSet[s]!]!) {
      inner.uint(1, intern(l.key));
      if (l.str !== undefined) {
        inner.uint(2, intern(l.str));
      } else {
        inner.uint(3, l.num);
        if (l.unit) inner.uint(4, intern(l.unit));
      }
      m.message(3, inner);
    }
    out.message(2, m);
  }

  profile.mappings.forEach((mp, i) => {
    m.uint(1, i + 1);
    m.uint(2, mp.memoryStart);
    m.uint(3, mp.memoryLimit);
    m.uint(4, mp.fileOffset);
    m.uint(5, intern(mp.filename));
    m.uint(6, intern(mp.buildId));
    m.uint(7, mp.hasFunctions ? 1 : 0);
    m.uint(8, mp.hasFilenames ? 1 : 0);
    m.uint(9, mp.hasLineNumbers ? 1 : 0);
    m.uint(10, mp.hasInlineFrames ? 1 : 0);
    out.message(3, m);
  });

  const loc = profile.locations;
  for (let i = 0; i < loc.length; i++) {
    m.uint(1, i + 1);
    m.uint(2, loc.mapping[i]! + 1);
    m.uint(3, loc.address[i]!);
    for (let l = loc.lineStart[i]!; l < loc.lineStart[i + 1]!; l++) {
      inner.uint(1, loc.lineFunction[l]! + 1);
      inner.uint(2, loc.lineNumber[l]!);
      m.message(4, inner);
    }
    m.uint(5, loc.isFolded[i]!);
    out.message(4, m);
  }

  const fn = profile.functions;
  for (let i = 0; i < fn.length; i++) {
    m.uint(1, i + 1);
    m.uint(2, fn.name[i]! + shift);
    m.uint(3, fn.systemName[i]! + shift);
    m.uint(4, fn.filename[i]! + shift);
    m.uint(5, fn.startLine[i]!);
    out.message(5, m);
  }

  const dropFrames = intern(profile.dropFrames);
  const keepFrames = intern(profile.keepFrames);
  const periodType = profile.periodType ? [intern(profile.periodType.type), intern(profile.periodType.unit)] : null;
  const comments = profile.comments.map(intern);
  const defaultType = intern(profile.sampleTypes[profile.defaultSampleType]?.type ?? '');

  const encoder = new TextEncoder();
  for (const s of strings) out.bytes(6, encoder.encode(s));
  out.uint(7, dropFrames);
  out.uint(8, keepFrames);
  out.uint(9, profile.timeNs);
  out.uint(10, profile.durationNs);
  if (periodType) {
    m.uint(1, periodType[0]!);
    m.uint(2, periodType[1]!);
    out.message(11, m);
  }
  out.uint(12, profile.period);
  out.packed(13, comments, 0, comments.length, scratch);
  out.uint(14, defaultType);
  const bytes = out.finish();
  return options.gzip === false ? bytes : gzip(bytes);
}
