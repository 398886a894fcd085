import { functionName, type Profile } from '@kiln/model';

/** Index of the sample type named `type`; throws when the profile has none. */
export function sampleTypeIndex(profile: Profile, type: string): number {
  const index = profile.sampleTypes.findIndex((t) => t.type === type);
  if (index < 0) throw new Error(`no sample type ${type} in ${profile.sampleTypes.map((t) => t.type).join(', ')}`);
  return index;
}

/** Leaf (self) value per function name, summed over samples, for one sample type. */
export function selfByFunction(profile: Profile, type: string): Map<string, number> {
  const t = sampleTypeIndex(profile, type);
  const { samples, locations } = profile;
  const out = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const value = samples.values[i * profile.sampleTypes.length + t]!;
    if (value === 0 || samples.stackStart[i] === samples.stackStart[i + 1]) continue;
    const leaf = samples.stack[samples.stackStart[i]!]!;
    const name = functionName(profile, locations.lineFunction[locations.lineStart[leaf]!]!);
    out.set(name, (out.get(name) ?? 0) + value);
  }
  return out;
}

/** Value of samples with a frame whose name includes `needle` anywhere on the stack. */
export function valueWithFrame(profile: Profile, type: string, needle: string): number {
  const t = sampleTypeIndex(profile, type);
  const { samples, locations } = profile;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    for (let s = samples.stackStart[i]!; s < samples.stackStart[i + 1]!; s++) {
      const loc = samples.stack[s]!;
      let found = false;
      for (let l = locations.lineStart[loc]!; l < locations.lineStart[loc + 1]!; l++) {
        if (functionName(profile, locations.lineFunction[l]!).includes(needle)) found = true;
      }
      if (found) {
        sum += samples.values[i * profile.sampleTypes.length + t]!;
        break;
      }
    }
  }
  return sum;
}

/** Every function's name and file. */
export function functionsOf(profile: Profile): Array<{ name: string; file: string }> {
  const out: Array<{ name: string; file: string }> = [];
  for (let f = 0; f < profile.functions.length; f++) {
    out.push({ name: functionName(profile, f), file: profile.strings[profile.functions.filename[f]!] ?? '' });
  }
  return out;
}

/**
 * Value of samples with a frame whose name includes `needle`, per label set: `k=v,k2=v2` with
 * keys sorted, `''` for samples without labels.
 */
export function valueByLabels(profile: Profile, type: string, needle: string): Map<string, number> {
  const t = sampleTypeIndex(profile, type);
  const { samples } = profile;
  const out = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    if (!stackHas(profile, i, needle)) continue;
    const labels = samples.labelSets[samples.labelSet[i]!] ?? [];
    const key = labels
      .map((l) => `${l.key}=${l.str ?? l.num}`)
      .sort()
      .join(',');
    out.set(key, (out.get(key) ?? 0) + samples.values[i * profile.sampleTypes.length + t]!);
  }
  return out;
}

function stackHas(profile: Profile, sample: number, needle: string): boolean {
  const { samples, locations } = profile;
  for (let s = samples.stackStart[sample]!; s < samples.stackStart[sample + 1]!; s++) {
    const loc = samples.stack[s]!;
    for (let l = locations.lineStart[loc]!; l < locations.lineStart[loc + 1]!; l++) {
      if (functionName(profile, locations.lineFunction[l]!).includes(needle)) return true;
    }
  }
  return false;
}
