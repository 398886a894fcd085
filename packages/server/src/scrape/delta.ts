import { stackSampleFrames, withValues, type StackSamples } from '@kiln/model';
import type { ProfileInput } from '../storage/profile-store.js';

/**
 * Turns cumulative profiles (Go's allocs, mutex and block counters since process start) into
 * what happened between two scrapes, as Alloy's delta profiles do: per series, each stack's
 * value minus its value in the previous scrape. The first scrape of a series only records the
 * baseline and writes nothing; a total that went down means the process restarted, and the
 * new values are taken as they are.
 */
export class DeltaTracker {
  /** target key -> series (labels and profile type) -> stack -> cumulative value. */
  private readonly previous = new Map<string, Map<string, Map<string, number>>>();

  /**
   * The profiles to write: those whose sample type (the second part of the profile type id)
   * is in `cumulative` become deltas; the others pass through.
   */
  apply(targetKey: string, inputs: readonly ProfileInput[], cumulative: readonly string[]): ProfileInput[] {
    let series = this.previous.get(targetKey);
    if (!series) this.previous.set(targetKey, (series = new Map()));
    const out: ProfileInput[] = [];
    for (const input of inputs) {
      const sampleType = input.profileType.split(':')[1] ?? '';
      if (!cumulative.includes(sampleType) || !input.samples) {
        out.push(input);
        continue;
      }
      const key = `${input.profileType}\u0000${JSON.stringify(Object.entries(input.labels).sort())}`;
      const { totals, firstIndex } = totalsByStack(input.samples);
      const before = series.get(key);
      series.set(key, totals);
      if (!before) continue;
      let sumBefore = 0;
      let sumNow = 0;
      for (const v of before.values()) sumBefore += v;
      for (const v of totals.values()) sumNow += v;
      if (sumNow < sumBefore) {
        out.push(input);
        continue;
      }
      const values = new Float64Array(input.samples.length);
      for (const [stack, total] of totals)
        values[firstIndex.get(stack)!] = Math.max(0, total - (before.get(stack) ?? 0));
      out.push({ ...input, samples: withValues(input.samples, values) });
    }
    return out;
  }

  /** Drops the baselines of a target that is gone. */
  forget(targetKey: string): void {
    this.previous.delete(targetKey);
  }
}

/** Each distinct stack's summed value, and the first sample that has that stack. */
function totalsByStack(samples: StackSamples): { totals: Map<string, number>; firstIndex: Map<string, number> } {
  const totals = new Map<string, number>();
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const v = samples.values[i]!;
    if (v === 0) continue;
    const stack = stackSampleFrames(samples, i).join('\u0000');
    if (!firstIndex.has(stack)) firstIndex.set(stack, i);
    totals.set(stack, (totals.get(stack) ?? 0) + v);
  }
  return { totals, firstIndex };
}
