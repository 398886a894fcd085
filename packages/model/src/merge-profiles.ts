import type { Profile } from './profile.js';
import { ProfileBuilder } from './profile-builder.js';
import type { ValueType } from './value-type.js';

/**
 * Merges profiles into one, as `go tool pprof` does when given several files: functions,
 * locations and mappings are unified, and samples with the same stack and labels add up.
 * Sample types are matched by type and unit; the result has every type of every input (first
 * seen first), with 0 where an input lacks one. Start is the earliest start and the duration
 * runs to the latest end. Exact for integer values below 2^53, associative and commutative.
 *
 * @example
 *   const merged = mergeProfiles([cpu1, cpu2]);
 */
export function mergeProfiles(profiles: readonly Profile[]): Profile {
  const types: ValueType[] = [];
  const typeKey = (t: ValueType): string => `${t.type}/${t.unit}`;
  const typeIndex = new Map<string, number>();
  for (const p of profiles) {
    for (const t of p.sampleTypes) {
      if (!typeIndex.has(typeKey(t))) {
        typeIndex.set(typeKey(t), types.length);
        types.push(t);
      }
    }
  }
  if (types.length === 0) throw new RangeError('mergeProfiles needs at least one profile');
  const first = profiles[0]!;
  let start = Infinity;
  let end = -Infinity;
  for (const p of profiles) {
    if (p.timeNs > 0) {
      start = Math.min(start, p.timeNs);
      end = Math.max(end, p.timeNs + p.durationNs);
    }
  }
  const builder = new ProfileBuilder({
    sampleTypes: types,
    defaultSampleType: typeIndex.get(typeKey(first.sampleTypes[first.defaultSampleType]!))!,
    periodType: profiles.find((p) => p.periodType !== null)?.periodType ?? null,
    period: profiles.find((p) => p.period !== 0)?.period ?? 0,
    timeNs: Number.isFinite(start) ? start : 0,
    durationNs: Number.isFinite(start) ? end - start : profiles.reduce((d, p) => Math.max(d, p.durationNs), 0),
    comments: [...new Set(profiles.flatMap((p) => p.comments))],
    aggregate: true,
  });
  const values = new Float64Array(types.length);
  for (const p of profiles) {
    const str = p.strings;
    const fnMap = new Int32Array(p.functions.length);
    for (let i = 0; i < p.functions.length; i++) {
      fnMap[i] = builder.addFunction({
        name: str[p.functions.name[i]!]!,
        systemName: str[p.functions.systemName[i]!]!,
        filename: str[p.functions.filename[i]!]!,
        startLine: p.functions.startLine[i]!,
      });
    }
    const mappingMap = p.mappings.map((m) => builder.addMapping(m));
    const loc = p.locations;
    const locMap = new Int32Array(loc.length);
    for (let i = 0; i < loc.length; i++) {
      const lines = [];
      for (let l = loc.lineStart[i]!; l < loc.lineStart[i + 1]!; l++) {
        lines.push({ fn: fnMap[loc.lineFunction[l]!]!, line: loc.lineNumber[l]! });
      }
      locMap[i] = builder.addLocation({
        lines,
        address: loc.address[i]!,
        mapping: loc.mapping[i]! === -1 ? undefined : mappingMap[loc.mapping[i]!],
        isFolded: loc.isFolded[i] === 1,
      });
    }
    const column = p.sampleTypes.map((t) => typeIndex.get(typeKey(t))!);
    const { samples } = p;
    const stride = p.sampleTypes.length;
    const stack: number[] = [];
    for (let s = 0; s < samples.length; s++) {
      stack.length = 0;
      for (let i = samples.stackStart[s]!; i < samples.stackStart[s + 1]!; i++) stack.push(locMap[samples.stack[i]!]!);
      values.fill(0);
      for (let t = 0; t < stride; t++) values[column[t]!] = samples.values[s * stride + t]!;
      builder.addSample(stack, values, samples.labelSets[samples.labelSet[s]!]);
    }
  }
  return builder.build();
}
