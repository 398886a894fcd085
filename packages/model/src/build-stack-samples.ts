import type { Profile } from './profile.js';
import type { StackSamples } from './stack-samples.js';

/**
 * A profile's samples as function-name stacks, one StackSamples per sample type (indexed as
 * `profile.sampleTypes`), sharing one names table and one frames column: they differ only in
 * their values. Sample `i` is the profile's sample `i`, so label groups can pick samples by
 * index.
 *
 * Frames are the ones buildCallTree makes: inlined functions become frames of their own,
 * outermost first; a location without lines, or whose function has no name, is named by its
 * address (`0x4a2f10`). Each location's frames are resolved once, the first time a sample
 * uses it. A sample whose values are all 0 gets no frames.
 */
export function buildStackSamples(profile: Profile): StackSamples[] {
  const locs = profile.locations;
  const { stackStart, stack, values, length } = profile.samples;
  const stride = profile.sampleTypes.length;
  const names: string[] = [];
  const nameOfFunction = new Int32Array(profile.functions.length).fill(-1);
  // Per location, its frames' name ids at locNames[locStart[l] .. + locCount[l]); -1: not yet.
  const locStart = new Int32Array(locs.length).fill(-1);
  const locCount = new Uint32Array(locs.length);
  let locNames = new Uint32Array(Math.max(16, locs.length));
  let locNamesLength = 0;
  let addressNames: Map<string, number> | null = null;
  const addressName = (l: number): number => {
    const text = `0x${locs.address[l]!.toString(16)}`;
    addressNames ??= new Map();
    let id = addressNames.get(text);
    if (id === undefined) addressNames.set(text, (id = names.push(text) - 1));
    return id;
  };
  const resolve = (l: number): void => {
    const lFrom = locs.lineStart[l]!;
    const lTo = locs.lineStart[l + 1]!;
    const count = Math.max(1, lTo - lFrom);
    if (locNamesLength + count > locNames.length) {
      const next = new Uint32Array(Math.max(locNames.length * 2, locNamesLength + count));
      next.set(locNames);
      locNames = next;
    }
    locStart[l] = locNamesLength;
    locCount[l] = count;
    if (lTo === lFrom) {
      locNames[locNamesLength++] = addressName(l);
      return;
    }
    // Lines run from the innermost function to the caller it was inlined into.
    for (let i = lTo - 1; i >= lFrom; i--) {
      const fn = locs.lineFunction[i]!;
      let id = nameOfFunction[fn]!;
      if (id === -1) {
        const f = profile.functions;
        const text = profile.strings[f.name[fn]!] || profile.strings[f.systemName[fn]!] || '';
        if (text === '') id = addressName(l);
        else id = nameOfFunction[fn] = names.push(text) - 1;
      }
      locNames[locNamesLength++] = id;
    }
  };

  // Pass 1: resolve the locations that samples with a value use, and count their frames.
  const frameStart = new Uint32Array(length + 1);
  let total = 0;
  for (let s = 0; s < length; s++) {
    frameStart[s] = total;
    if (!hasValue(values, s * stride, stride)) continue;
    const to = stackStart[s + 1]!;
    for (let i = stackStart[s]!; i < to; i++) {
      const l = stack[i]!;
      if (locStart[l] === -1) resolve(l);
      total += locCount[l]!;
    }
  }
  frameStart[length] = total;

  // Pass 2: the frames, root first (pprof lists locations leaf first).
  const frames = new Uint32Array(total);
  let k = 0;
  for (let s = 0; s < length; s++) {
    if (frameStart[s + 1] === frameStart[s]) continue;
    const from = stackStart[s]!;
    for (let i = stackStart[s + 1]! - 1; i >= from; i--) {
      const l = stack[i]!;
      const start = locStart[l]!;
      const count = locCount[l]!;
      if (count === 1) frames[k++] = locNames[start]!;
      else for (let j = 0; j < count; j++) frames[k++] = locNames[start + j]!;
    }
  }

  return profile.sampleTypes.map((_, t) => {
    const typeValues = new Float64Array(length);
    for (let s = 0; s < length; s++) typeValues[s] = values[s * stride + t]!;
    return { names, length, frameStart, frames, values: typeValues };
  });
}

function hasValue(values: Float64Array, from: number, count: number): boolean {
  for (let i = 0; i < count; i++) if (values[from + i] !== 0) return true;
  return false;
}
