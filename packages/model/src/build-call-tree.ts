import { CallTreeBuilder, type CallTree } from './call-tree.js';
import type { Profile } from './profile.js';

export interface BuildCallTreeOptions {
  /** Index into `profile.sampleTypes`; defaults to the profile's default sample type. */
  sampleType?: number;
  /** Keep only samples for which this returns true (label filters). */
  filter?: (sample: number) => boolean;
}

/**
 * Builds the function-level call tree of one sample type. Inlined functions become frames of
 * their own, outermost first, as pprof and Pyroscope show them. Samples with value 0 add
 * nothing. A location without lines is named by its address (`0x4a2f10`).
 */
export function buildCallTree(profile: Profile, options: BuildCallTreeOptions = {}): CallTree {
  const builder = new CallTreeBuilder(profile.samples.stack.length >> 2);
  addProfileToCallTree(builder, profile, options);
  return builder.build();
}

/** Adds one profile's samples to a builder, so many profiles can be merged in one pass. */
export function addProfileToCallTree(
  builder: CallTreeBuilder,
  profile: Profile,
  options: BuildCallTreeOptions = {},
): void {
  const sampleType = options.sampleType ?? profile.defaultSampleType;
  if (sampleType < 0 || sampleType >= profile.sampleTypes.length) {
    throw new RangeError(`sample type ${sampleType} is not in this profile`);
  }
  const frames = locationFrames(builder, profile);
  const { stackStart, stack, values, length } = profile.samples;
  const stride = profile.sampleTypes.length;
  const filter = options.filter;
  // Samples often repeat a stack (with other labels, or from agents that do not aggregate):
  // a stack seen before reuses its leaf node instead of walking the tree again.
  const firstWithHash = new Map<number, number>();
  const leafOf = new Int32Array(length);
  for (let s = 0; s < length; s++) {
    const value = values[s * stride + sampleType]!;
    if (value === 0 || (filter !== undefined && !filter(s))) continue;
    const from = stackStart[s]!;
    const to = stackStart[s + 1]!;
    let h = to - from;
    for (let i = from; i < to; i++) h = Math.imul(h ^ stack[i]!, 0x9e3779b1) ^ (h >>> 15);
    const first = firstWithHash.get(h);
    if (first !== undefined && sameStack(stack, stackStart[first]!, stackStart[first + 1]!, from, to)) {
      builder.addSelf(leafOf[first]!, value);
      continue;
    }
    let node = 0;
    for (let i = to - 1; i >= from; i--) {
      const loc = stack[i]!;
      const fEnd = frames.start[loc + 1]!;
      for (let f = frames.start[loc]!; f < fEnd; f++) node = builder.child(node, frames.name[f]!);
    }
    builder.addSelf(node, value);
    leafOf[s] = node;
    if (first === undefined) firstWithHash.set(h, s);
  }
}

function sameStack(stack: Uint32Array, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let i = 0; i < aTo - aFrom; i++) if (stack[aFrom + i] !== stack[bFrom + i]) return false;
  return true;
}

/** For each location, the builder name ids of its frames, outermost (caller) first. */
function locationFrames(builder: CallTreeBuilder, profile: Profile): { start: Uint32Array; name: Uint32Array } {
  const locs = profile.locations;
  const fnNameId = new Int32Array(profile.functions.length).fill(-1);
  const start = new Uint32Array(locs.length + 1);
  let count = 0;
  for (let l = 0; l < locs.length; l++) {
    start[l] = count;
    count += Math.max(1, locs.lineStart[l + 1]! - locs.lineStart[l]!);
  }
  start[locs.length] = count;
  const name = new Uint32Array(count);
  for (let l = 0; l < locs.length; l++) {
    const lFrom = locs.lineStart[l]!;
    const lTo = locs.lineStart[l + 1]!;
    let out = start[l]!;
    if (lTo === lFrom) {
      name[out] = builder.intern(`0x${locs.address[l]!.toString(16)}`);
      continue;
    }
    for (let i = lTo - 1; i >= lFrom; i--) {
      const fn = locs.lineFunction[i]!;
      let id = fnNameId[fn]!;
      if (id === -1) {
        const f = profile.functions;
        const text = profile.strings[f.name[fn]!] || profile.strings[f.systemName[fn]!] || '';
        id = builder.intern(text === '' ? `0x${locs.address[l]!.toString(16)}` : text);
        if (text !== '') fnNameId[fn] = id;
      }
      name[out++] = id;
    }
  }
  return { start, name };
}
