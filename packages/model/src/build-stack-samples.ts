import { nameIdOfText } from './name-id.js';
import type { NameIds, Profile } from './profile.js';
import type { StackSamples } from './stack-samples.js';

/**
 * A profile's samples as StackSamples, one per sample type (indexed as `profile.sampleTypes`).
 * They share the names, the location frames and the profile's own stack columns (not copied),
 * and differ in values only; with a single sample type the values are the profile's too.
 * Sample `i` is the profile's sample `i`, so label groups can pick samples by index.
 *
 * Frames are the ones buildCallTree makes: inlined functions become frames of their own,
 * outermost first; a location without lines, or whose function has no name, is named by its
 * address (`0x4a2f10`). Each location is resolved once here, never per sample.
 */
export function buildStackSamples(profile: Profile): StackSamples[] {
  const locs = profile.locations;
  const f = profile.functions;
  const names: string[] = [];
  const nameOfFunction = new Int32Array(f.length).fill(-1);
  let addressNames: Map<string, number> | null = null;
  const addressName = (l: number): number => {
    const text = `0x${locs.address[l]!.toString(16)}`;
    addressNames ??= new Map();
    let id = addressNames.get(text);
    if (id === undefined) addressNames.set(text, (id = names.push(text) - 1));
    return id;
  };

  // Per name, the string it came from (-1: an address), to take the decoder's id for it.
  const ids = profile.stringIds;
  let stringOfName: Int32Array | null = ids === undefined ? null : new Int32Array(Math.max(16, f.length)).fill(-1);
  const locationStart = new Uint32Array(locs.length + 1);
  let frameCount = 0;
  for (let l = 0; l < locs.length; l++) {
    locationStart[l] = frameCount;
    frameCount += Math.max(1, locs.lineStart[l + 1]! - locs.lineStart[l]!);
  }
  locationStart[locs.length] = frameCount;
  const locationFrames = new Uint32Array(frameCount);
  let k = 0;
  for (let l = 0; l < locs.length; l++) {
    const lFrom = locs.lineStart[l]!;
    const lTo = locs.lineStart[l + 1]!;
    if (lTo === lFrom) {
      locationFrames[k++] = addressName(l);
      continue;
    }
    // Lines run from the innermost function to the caller it was inlined into.
    for (let i = lTo - 1; i >= lFrom; i--) {
      const fn = locs.lineFunction[i]!;
      let id = nameOfFunction[fn]!;
      if (id === -1) {
        const str = profile.strings[f.name[fn]!] ? f.name[fn]! : f.systemName[fn]!;
        const text = profile.strings[str] ?? '';
        if (text === '') id = addressName(l);
        else {
          id = nameOfFunction[fn] = names.push(text) - 1;
          if (stringOfName !== null) {
            if (id >= stringOfName.length) stringOfName = grow(stringOfName, id);
            stringOfName[id] = str;
          }
        }
      }
      locationFrames[k++] = id;
    }
  }

  const { stackStart, stack, values, length } = profile.samples;
  const stride = profile.sampleTypes.length;
  const nameIds = ids === undefined ? undefined : idsOfNames(ids, names, stringOfName!);
  return profile.sampleTypes.map((_, t) => {
    let typeValues = values;
    if (stride > 1) {
      typeValues = new Float64Array(length);
      for (let s = 0; s < length; s++) typeValues[s] = values[s * stride + t]!;
    }
    return { names, nameIds, locationStart, locationFrames, length, stackStart, stack, values: typeValues };
  });
}

/** The names' content ids: the decoder's for function names, hashed here for address names. */
function idsOfNames(ids: NameIds, names: readonly string[], stringOfName: Int32Array): NameIds {
  const hi = new Uint32Array(names.length);
  const lo = new Uint32Array(names.length);
  for (let id = 0; id < names.length; id++) {
    // Address names are not recorded (and may lie past the array's end): -1.
    const str = id < stringOfName.length ? stringOfName[id]! : -1;
    if (str === -1) nameIdOfText(names[id]!, hi, lo, id);
    else {
      hi[id] = ids.hi[str]!;
      lo[id] = ids.lo[str]!;
    }
  }
  return { hi, lo };
}

function grow(a: Int32Array, index: number): Int32Array {
  const next = new Int32Array(Math.max(index + 1, a.length * 2)).fill(-1);
  next.set(a);
  return next;
}
