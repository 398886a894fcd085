import type { CallTree, StackSamples } from '@kiln/model';

/**
 * What every Kiln storage backend does: the embedded store (DuckDB files in one data
 * directory) and, later, the ClickHouse store. Both pass the conformance suite in
 * conformance.ts. Every call carries a tenant id; tenants never see each other's data.
 *
 * Times are Unix milliseconds. Ranges are half-open: [startMs, endMs).
 */
export interface ProfileStore {
  /**
   * Writes profiles. Each profile is checked on its own: one that breaks a limit is rejected
   * with a named reason and the rest of the batch is written. Resolves once every accepted
   * profile is durable (it survives kill -9 of the process).
   */
  write(tenant: string, profiles: readonly ProfileInput[]): Promise<WriteResult>;
  /** The merged call tree of every matching series over the range. */
  selectMergeTree(query: SelectQuery): Promise<CallTree>;
  /** Totals per step, one series per distinct value of the `groupBy` labels. */
  selectSeries(query: SelectSeriesQuery): Promise<TimeSeries[]>;
  /** Label sets of the series that match and have data in the range. */
  series(query: LabelQuery): Promise<Labels[]>;
  labelNames(query: LabelQuery): Promise<string[]>;
  labelValues(query: LabelQuery & { name: string }): Promise<string[]>;
  /** Profile type ids (`name:type:unit:period_type:period_unit`) with data in the range. */
  profileTypes(query: { tenant: string; startMs: number; endMs: number }): Promise<string[]>;
  /** Deletes data older than each resolution's retention, giving its disk space back. */
  applyRetention(nowMs: number): Promise<RetentionResult>;
  /** Brings time rollups up to date (the store also does this on its own timer). */
  compact(): Promise<void>;
  /** Flushes and closes; the store can be opened again from the same place. */
  close(): Promise<void>;
}

/** Series labels: `service_name` is required; `__profile_type__` is added by the store. */
export type Labels = Readonly<Record<string, string>>;

/**
 * One profile of one series: its samples for one sample type, either as stack samples (what a
 * decoded pprof gives: no call tree is built on the way in) or as a function-level call tree
 * (what text formats and merges give; its nodes with a self value are its samples). Both forms
 * of the same samples store the same stacks; the conformance suite writes both. Samples with
 * value 0 or no frames store nothing.
 */
export type ProfileInput = ProfileInputSeries &
  ({ samples: StackSamples; tree?: undefined } | { tree: CallTree; samples?: undefined });

export interface ProfileInputSeries {
  labels: Labels;
  /** `process_cpu:cpu:nanoseconds:cpu:nanoseconds` */
  profileType: string;
  timeMs: number;
}

export interface WriteResult {
  written: number;
  rejected: RejectedProfile[];
}

export interface RejectedProfile {
  /** Index of the profile in the batch. */
  index: number;
  /** Named error code, for example `ERR_STORAGE_TOO_MANY_LABELS`. */
  code: string;
  /** snake_case reason, also a metric label: `too_many_labels`. */
  reason: string;
  message: string;
}

/** A Prometheus-style label matcher. */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface LabelQuery {
  tenant: string;
  matchers?: readonly Matcher[];
  startMs: number;
  endMs: number;
}

export interface SelectQuery {
  tenant: string;
  profileType: string;
  matchers?: readonly Matcher[];
  startMs: number;
  endMs: number;
}

export interface SelectSeriesQuery extends SelectQuery {
  stepMs: number;
  groupBy?: readonly string[];
  /** `sum` (default) adds values in a step; `avg` averages them over the series merged. */
  aggregation?: 'sum' | 'avg';
}

export interface TimeSeries {
  /** The `groupBy` labels of this series (empty when not grouped). */
  labels: Labels;
  /** [step start ms, value], steps without data omitted, ascending. */
  points: [number, number][];
}

export interface RetentionResult {
  deletedPartitions: number;
  freedBytes: number;
}
