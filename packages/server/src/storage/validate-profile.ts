import { parseProfileTypeId, type StackSamples } from '@kiln/model';
import { storageError } from './errors.js';
import type { StorageLimits } from './limits.js';
import type { ProfileInput, RejectedProfile } from './profile-store.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;

/** Checks a profile against the storage limits: null when it may be written, else the reason. */
export function validateProfile(p: ProfileInput, index: number, limits: StorageLimits): RejectedProfile | null {
  if (parseProfileTypeId(p.profileType) === null) {
    return rejectProfile(
      index,
      'ERR_STORAGE_INVALID_PROFILE_TYPE',
      `profile type "${p.profileType}" is not name:type:unit:period_type:period_unit`,
    );
  }
  const names = Object.keys(p.labels);
  if (!p.labels['service_name'])
    return rejectProfile(index, 'ERR_STORAGE_MISSING_SERVICE_NAME', 'the profile has no service_name label');
  if (names.length > limits.maxLabelsPerSeries) {
    return rejectProfile(
      index,
      'ERR_STORAGE_TOO_MANY_LABELS',
      `maxLabelsPerSeries is ${limits.maxLabelsPerSeries}, the series has ${names.length}`,
    );
  }
  for (const name of names) {
    if (name.length > limits.maxLabelNameLength) {
      return rejectProfile(
        index,
        'ERR_STORAGE_LABEL_NAME_TOO_LONG',
        `maxLabelNameLength is ${limits.maxLabelNameLength}, label "${name.slice(0, 40)}…" has ${name.length}`,
      );
    }
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      return rejectProfile(
        index,
        'ERR_STORAGE_INVALID_LABEL_NAME',
        `label name "${name.slice(0, 80)}" is not [a-zA-Z_][a-zA-Z0-9_.]* (names starting with __ are reserved)`,
      );
    }
    const value = p.labels[name]!;
    if (value.length > limits.maxLabelValueLength) {
      return rejectProfile(
        index,
        'ERR_STORAGE_LABEL_VALUE_TOO_LONG',
        `maxLabelValueLength is ${limits.maxLabelValueLength}, label ${name} has ${value.length}`,
      );
    }
  }
  if (p.samples !== undefined) {
    const broken = checkStackSamples(p.samples);
    if (broken !== null) return rejectProfile(index, 'ERR_STORAGE_INVALID_SAMPLES', broken);
  }
  return null;
}

/** What is wrong with the columns, or null: the store's lookups trust them. */
function checkStackSamples(s: StackSamples): string | null {
  const { length, stackStart, stack, values, locationStart, locationFrames, names } = s;
  const locations = locationStart.length - 1;
  if (!(length >= 0) || stackStart.length < length + 1 || values.length < length)
    return `${length} samples need ${length + 1} stack offsets and ${length} values, there are ${stackStart.length} and ${values.length}`;
  if (locations < 0) return 'location offsets need at least one entry';
  const broken =
    checkOffsets(stackStart, length, stack.length, 'stack') ??
    checkOffsets(locationStart, locations, locationFrames.length, 'location frame');
  if (broken !== null) return broken;
  if (!allBelow(stack, stackStart[0]!, stackStart[length]!, locations))
    return `a sample refers to a location past the ${locations} there are`;
  if (!allBelow(locationFrames, locationStart[0]!, locationStart[locations]!, names.length))
    return `a location refers to a name past the ${names.length} there are`;
  if (s.nameIds !== undefined && (s.nameIds.hi.length < names.length || s.nameIds.lo.length < names.length))
    return `${names.length} names need as many ids, there are ${Math.min(s.nameIds.hi.length, s.nameIds.lo.length)}`;
  return null;
}

function checkOffsets(offsets: Uint32Array, n: number, size: number, what: string): string | null {
  if (offsets.length < n + 1 || offsets[n]! > size) return `${what} offsets end past the ${size} entries`;
  for (let i = 0; i < n; i++) if (offsets[i + 1]! < offsets[i]!) return `${what} offsets decrease at ${i}`;
  return null;
}

/**
 * Whether a[from .. to) are all below n (at most 2^31), without a branch per entry: as int32,
 * n - 1 - x is negative for n <= x < 2^31, and x itself for x >= 2^31.
 */
function allBelow(a: Uint32Array, from: number, to: number, n: number): boolean {
  let over = 0;
  for (let i = from; i < to; i++) over |= (n - 1 - a[i]!) | a[i]!;
  return over >= 0;
}

export function rejectProfile(
  index: number,
  code: Parameters<typeof storageError>[0],
  message: string,
): RejectedProfile {
  const err = storageError(code, message);
  return { index, code, reason: String(err.details['reason']), message };
}
