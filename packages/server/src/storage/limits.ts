/** Limits on what one tenant may write; each breach rejects the profile with a named error. */
export interface StorageLimits {
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxSeriesPerTenant: number;
}

/** Defaults follow Grafana Pyroscope's (pkg/validation/limits.go), which users know. */
export const STORAGE_LIMITS = {
  maxLabelsPerSeries: {
    default: 30,
    error: 'ERR_STORAGE_TOO_MANY_LABELS',
    doc: 'Labels on one series, not counting the `__name__` and `__profile_type__` Kiln adds.',
  },
  maxLabelNameLength: { default: 1024, error: 'ERR_STORAGE_LABEL_NAME_TOO_LONG', doc: 'Characters in a label name.' },
  maxLabelValueLength: {
    default: 2048,
    error: 'ERR_STORAGE_LABEL_VALUE_TOO_LONG',
    doc: 'Characters in a label value.',
  },
  maxSeriesPerTenant: {
    default: 5000,
    error: 'ERR_STORAGE_SERIES_LIMIT',
    doc: 'Distinct series (label sets) one tenant may create.',
  },
} as const satisfies Record<keyof StorageLimits, { default: number; error: string; doc: string }>;

export function resolveStorageLimits(limits?: Partial<StorageLimits>): StorageLimits {
  return {
    maxLabelsPerSeries: limits?.maxLabelsPerSeries ?? STORAGE_LIMITS.maxLabelsPerSeries.default,
    maxLabelNameLength: limits?.maxLabelNameLength ?? STORAGE_LIMITS.maxLabelNameLength.default,
    maxLabelValueLength: limits?.maxLabelValueLength ?? STORAGE_LIMITS.maxLabelValueLength.default,
    maxSeriesPerTenant: limits?.maxSeriesPerTenant ?? STORAGE_LIMITS.maxSeriesPerTenant.default,
  };
}
