import { buildStackSamples, sumStackSamples, withValues, type Profile, type ValueType } from '@kiln/model';
import type { Labels, ProfileInput } from '../storage/profile-store.js';

/** pprof sample labels that never become series labels: they would make one series per request. */
const SAMPLE_LABELS_DROPPED = new Set(['trace_id', 'span_id', 'profile_id']);

export interface SplitOptions {
  /** Series labels from the request (`service_name` and the user's labels). They win on conflicts. */
  labels: Labels;
  /**
   * The profile's metric name (`__name__`: `process_cpu`, `memory`, `wall`, ...). When absent it
   * is derived from the sample types, as Pyroscope does for pprof uploaded to /ingest.
   */
  metricName?: string;
  /** Used when the profile carries no time of its own (or one in 1970). */
  fallbackTimeMs: number;
  /** Sample type names renamed before naming the metric (`sample_type_config` display names). */
  displayNames?: Readonly<Record<string, string>>;
}

/**
 * Turns one decoded pprof into the series the store keeps, as Pyroscope's ingest does: one
 * profile per sample type (its profile type id built from the metric name, the sample type and
 * the period type), split further by the pprof's string sample labels, which become series
 * labels (except trace and span ids). Relabelling follows Pyroscope's defaults:
 * `godeltaprof_X` becomes `X`, and the `cpu` sample type of a `wall` profile is `process_cpu`.
 */
export function splitPprof(profile: Profile, options: SplitOptions): ProfileInput[] {
  const metric = relabelMetric(options.metricName ?? metricNameFor(profile.sampleTypes, options.displayNames));
  const timeNs = profile.timeNs;
  const timeMs = timeNs > 365 * 24 * 3600 * 1e9 ? Math.floor(timeNs / 1e6) : options.fallbackTimeMs;
  const groups = groupSamplesByLabels(profile);
  // Stacks straight from the pprof, no call tree: the store interns them (one frames column
  // for every sample type and label group, which differ only in values).
  const perType = buildStackSamples(profile);
  const out: ProfileInput[] = [];
  for (let t = 0; t < profile.sampleTypes.length; t++) {
    const profileType = profileTypeId(metric, profile.sampleTypes[t]!, profile.periodType);
    for (const [g, group] of groups.entries()) {
      const samples =
        group.groupOf === null
          ? perType[t]!
          : withValues(perType[t]!, groupValues(perType[t]!.values, group.groupOf, g));
      if (sumStackSamples(samples) === 0) continue;
      out.push({ labels: { ...group.labels, ...options.labels }, profileType, timeMs, samples });
    }
  }
  return out;
}

/** The values of group `g`'s samples, 0 for the others. */
function groupValues(values: Float64Array, groupOf: Uint32Array, g: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let s = 0; s < values.length; s++) if (groupOf[s] === g) out[s] = values[s]!;
  return out;
}

/** `name:sample_type:sample_unit:period_type:period_unit`; period parts empty without a period type. */
export function profileTypeId(metric: string, sampleType: ValueType, periodType: ValueType | null): string {
  const name = metric === 'wall' && sampleType.type === 'cpu' ? 'process_cpu' : metric;
  return `${name}:${sampleType.type}:${sampleType.unit}:${periodType?.type ?? ''}:${periodType?.unit ?? ''}`;
}

/**
 * Pyroscope's choice of `__name__` for a pprof uploaded without one: `wall` when any sample type
 * is `wall`; otherwise from the (display-)names of the sample types.
 */
export function metricNameFor(
  types: readonly ValueType[],
  displayNames: Readonly<Record<string, string>> = {},
): string {
  if (types.some((t) => t.type === 'wall')) return 'wall';
  for (const t of types) {
    const name = displayNames[t.type] ?? DEFAULT_DISPLAY_NAMES[t.type] ?? t.type;
    if (name.includes('cpu')) return 'process_cpu';
    if (name.includes('alloc_') || name.includes('inuse_') || name === 'space' || name === 'objects') return 'memory';
    if (name.includes('mutex_')) return 'mutex';
    if (name.includes('block_')) return 'block';
    if (name.includes('goroutines')) return 'goroutines';
  }
  return 'process_cpu';
}

const DEFAULT_DISPLAY_NAMES: Readonly<Record<string, string>> = {
  samples: 'cpu',
  goroutine: 'goroutines',
  contentions: 'mutex_count',
  delay: 'mutex_duration',
};

function relabelMetric(name: string): string {
  return name.startsWith('godeltaprof_') ? name.slice('godeltaprof_'.length) : name;
}

interface SampleGroup {
  labels: Record<string, string>;
  /** The group of each sample (an index into the groups); null: one group of every sample. */
  groupOf: Uint32Array | null;
}

function groupSamplesByLabels(profile: Profile): SampleGroup[] {
  const { labelSet, labelSets, length } = profile.samples;
  if (labelSets.length <= 1) return [{ labels: {}, groupOf: null }];
  // Series labels of each distinct label set; sets that differ only in dropped keys share a group.
  const keyOfSet: string[] = [];
  const labelsOfKey = new Map<string, Record<string, string>>();
  for (const set of labelSets) {
    const labels: Record<string, string> = {};
    for (const label of set) {
      if (label.str === undefined || label.str === '') continue;
      if (SAMPLE_LABELS_DROPPED.has(label.key) || label.key.startsWith('__')) continue;
      labels[label.key] = label.str;
    }
    const key = JSON.stringify(Object.entries(labels).sort());
    keyOfSet.push(key);
    labelsOfKey.set(key, labels);
  }
  if (labelsOfKey.size === 1) return [{ labels: labelsOfKey.values().next().value!, groupOf: null }];
  // Groups in order of their first sample, as the series they become.
  const groupOfSet = new Int32Array(labelSets.length).fill(-1);
  const groupOfKey = new Map<string, number>();
  const groups: SampleGroup[] = [];
  const groupOf = new Uint32Array(length);
  for (let s = 0; s < length; s++) {
    const set = labelSet[s]!;
    let g = groupOfSet[set]!;
    if (g === -1) {
      const key = keyOfSet[set]!;
      g = groupOfKey.get(key) ?? -1;
      if (g === -1) {
        g = groups.push({ labels: labelsOfKey.get(key) ?? {}, groupOf }) - 1;
        groupOfKey.set(key, g);
      }
      groupOfSet[set] = g;
    }
    groupOf[s] = g;
  }
  return groups;
}
