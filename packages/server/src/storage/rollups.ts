/**
 * Time resolutions. Level 0 holds samples in 10 s buckets, as agents upload; each coarser
 * level sums the one below it into wider cells. The ladder 10 s → 1 min → 10 min → 1 h → 1 d
 * keeps every step at most ×24 (so a range's ragged edges cost at most a few dozen cells per
 * level) and lands on the widths people zoom to (an hour, a day), unlike Pyroscope's 10 s ×
 * 10^n, whose 100 s and 2.8 h cells match no dashboard step.
 *
 * Each level is stored in partitions (one DuckDB file each) that are whole multiples of its
 * cell width, so retention deletes whole files and the disk space really comes back.
 */
export interface Level {
  widthMs: number;
  partitionMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const LEVELS: readonly Level[] = [
  { widthMs: 10 * SECOND, partitionMs: DAY },
  { widthMs: MINUTE, partitionMs: 7 * DAY },
  { widthMs: 10 * MINUTE, partitionMs: 28 * DAY },
  { widthMs: HOUR, partitionMs: 112 * DAY },
  { widthMs: DAY, partitionMs: 364 * DAY },
];

export interface RetentionPolicy {
  /** Per level, how long its data is kept; 0 keeps it forever. */
  retentionMs: number[];
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  retentionMs: [7 * DAY, 30 * DAY, 90 * DAY, 400 * DAY, 0],
};

/** A run of whole cells of one level to read: [fromMs, toMs). */
export interface CellRange {
  level: number;
  fromMs: number;
  toMs: number;
}

export interface PlanState {
  /** Per level, cells starting before this are complete (summed from the level below). */
  watermarkMs: readonly number[];
  /** Per level, data before this was deleted by retention. */
  retainedFromMs: readonly number[];
  /** Highest level the plan may use (0 = raw only). */
  maxLevel: number;
}

/**
 * Covers [startMs, endMs) with as few cells as it can: whole cells of the coarsest complete
 * level in the middle, finer levels at the ragged edges. A query then costs what its cells
 * cost, not what its length is. Where a finer level's data is gone (retention), the edge is
 * answered by the whole coarser cell around it.
 */
export function planCells(startMs: number, endMs: number, state: PlanState): CellRange[] {
  const out: CellRange[] = [];
  plan(
    floorTo(startMs, LEVELS[0]!.widthMs),
    floorTo(endMs - 1, LEVELS[0]!.widthMs) + LEVELS[0]!.widthMs,
    state.maxLevel,
  );
  return out;

  function plan(start: number, end: number, level: number): void {
    if (end <= start) return;
    if (level === 0) {
      out.push({ level: 0, fromMs: start, toMs: end });
      return;
    }
    const w = LEVELS[level]!.widthMs;
    const finerGone = state.retainedFromMs[level - 1]!;
    let first = start < finerGone ? floorTo(start, w) : ceilTo(start, w);
    let last = end <= finerGone ? ceilTo(end, w) : floorTo(end, w);
    last = Math.min(last, floorTo(state.watermarkMs[level]!, w));
    if (last <= first) {
      plan(start, end, level - 1);
      return;
    }
    first = Math.max(first, floorTo(state.retainedFromMs[level]!, w));
    if (last <= first) {
      plan(start, end, level - 1);
      return;
    }
    plan(start, first, level - 1);
    out.push({ level, fromMs: first, toMs: last });
    plan(last, end, level - 1);
  }
}

export function floorTo(t: number, w: number): number {
  return Math.floor(t / w) * w;
}

export function ceilTo(t: number, w: number): number {
  return Math.ceil(t / w) * w;
}
