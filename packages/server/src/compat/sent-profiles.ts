import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';

/** What the SDK sent of one sample type, summed over its uploads. */
export interface SentValues {
  /** Unit of the sample type as sent (`nanoseconds`, `bytes`, `count`). */
  unit: string;
  total: number;
  /** Value per leaf function name (the flame graph's self), zeros left out. */
  selfByName: Map<string, number>;
  /** Uploads that had this sample type. */
  uploads: number;
}

/**
 * Reads the bodies the SDK uploaded (gzip pprof, as saved by sdk-app.mjs) with `pprof-format`,
 * the library the SDK itself encodes with, not Kiln's parser, and sums them per sample type:
 * the ground truth the queries must give back.
 */
export function readSentProfiles(files: readonly string[]): Map<string, SentValues> {
  const out = new Map<string, SentValues>();
  for (const file of files) {
    const profile = Profile.decode(gunzipSync(readFileSync(file)));
    const strings = profile.stringTable.strings;
    const functionName = new Map(profile.function.map((f) => [Number(f.id), strings[Number(f.name)] ?? '']));
    const leafName = new Map(
      profile.location.map((l) => [Number(l.id), functionName.get(Number(l.line[0]?.functionId)) ?? '']),
    );
    profile.sampleType.forEach((type, t) => {
      const name = strings[Number(type.type)]!;
      let sent = out.get(name);
      if (!sent) {
        sent = { unit: strings[Number(type.unit)]!, total: 0, selfByName: new Map(), uploads: 0 };
        out.set(name, sent);
      }
      sent.uploads++;
      for (const sample of profile.sample) {
        const value = Number(sample.value[t] ?? 0);
        if (value === 0) continue;
        const leaf = leafName.get(Number(sample.locationId[0])) ?? '';
        sent.total += value;
        sent.selfByName.set(leaf, (sent.selfByName.get(leaf) ?? 0) + value);
      }
    });
  }
  return out;
}
