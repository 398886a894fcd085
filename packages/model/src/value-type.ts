/** A sample type or period type, as in pprof: `{ type: 'cpu', unit: 'nanoseconds' }`. */
export interface ValueType {
  readonly type: string;
  readonly unit: string;
}

/**
 * Pyroscope's profile type id, `name:sample_type:sample_unit:period_type:period_unit`, for
 * example `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
 */
export interface ProfileTypeId {
  readonly name: string;
  readonly sampleType: string;
  readonly sampleUnit: string;
  readonly periodType: string;
  readonly periodUnit: string;
}

export function formatProfileTypeId(id: ProfileTypeId): string {
  return `${id.name}:${id.sampleType}:${id.sampleUnit}:${id.periodType}:${id.periodUnit}`;
}

/**
 * Parses `name:type:unit:ptype:punit`; returns null when the text has not exactly 5 parts or the
 * first three are empty. The period parts may be empty (`memory:inuse_space:bytes::`): Pyroscope
 * ids of profiles without a period type look like that.
 */
export function parseProfileTypeId(text: string): ProfileTypeId | null {
  const parts = text.split(':');
  if (parts.length !== 5 || parts.slice(0, 3).some((p) => p === '')) return null;
  const [name, sampleType, sampleUnit, periodType, periodUnit] = parts as [string, string, string, string, string];
  return { name, sampleType, sampleUnit, periodType, periodUnit };
}
