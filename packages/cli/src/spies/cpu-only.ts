import type { Profile, ValueType } from '@kiln/model';

const CPU: ValueType = { type: 'cpu', unit: 'nanoseconds' };

/**
 * The CPU time of a sampled profile as Pyroscope's CPU series hold it: one sample type,
 * `cpu/nanoseconds`, with period type `cpu/nanoseconds`, and no sample labels (a profiler's
 * thread ids would become one series per thread on the server).
 *
 * `column` is the sample type holding nanoseconds; without one, `samples/count` values are
 * multiplied by `periodNs`.
 */
export function cpuOnly(profile: Profile, periodNs: number): Profile {
  const stride = profile.sampleTypes.length;
  let column = profile.sampleTypes.findIndex((t) => t.type === CPU.type && t.unit === CPU.unit);
  const scale = column === -1 ? periodNs : 1;
  if (column === -1) column = profile.sampleTypes.findIndex((t) => t.type === 'samples' && t.unit === 'count');
  if (column === -1) throw new RangeError('the profile has neither cpu/nanoseconds nor samples/count');
  const n = profile.samples.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = profile.samples.values[i * stride + column]! * scale;
  return {
    ...profile,
    sampleTypes: [CPU],
    defaultSampleType: 0,
    periodType: CPU,
    period: periodNs,
    samples: { ...profile.samples, values, labelSet: new Uint32Array(n), labelSets: [[]] },
  };
}
