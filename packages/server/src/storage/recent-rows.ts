import { cellKey, type CellKey, type SampleRow } from './partitions.js';
import { floorTo, LEVELS } from './rollups.js';
import { BELOW_BLOB, type SampleEncoder } from './sample-blob.js';
import type { StackSums } from './stack-sums.js';

/** A row the store wrote, with the samples it stands for (its own data, or for BELOW, the one row below). */
export interface RecentRow extends SampleRow {
  samples: Uint8Array;
}

/**
 * The rows of the finer levels that the next level has not summed yet, kept in memory as the
 * store writes them, so compaction sums them without reading them back from DuckDB: a read
 * was a statement of 0.6–1.6 ms of DuckDB's CPU, and sparse series (an upload per 30 minutes)
 * paid two to four of them per upload tick.
 *
 * The contract: for each level below `levels`, every row of that level stored at or after
 * `completeFromMs[level]` is here (its cell, and the samples it stands for). What breaks it
 * moves that bound forward instead: a late profile added to a cell already summed, a sum that
 * compaction read from disk (its BELOW rows come without samples), a restart (rows on disk),
 * or memory over `maxBytes`. A range before the bound is summed from disk, as before.
 *
 * A BELOW cell stands for exactly one row of the level below while the bound holds (late rows
 * are what could add a second), so its samples are that row's.
 */
export class RecentRows {
  private readonly rows: RecentRow[][];
  /** Per level, the latest cell end of any row offered (where to move the bound when dropping all). */
  private readonly seenToMs: number[];
  readonly completeFromMs: number[];
  private bytes = 0;

  constructor(
    /** Levels 0 .. levels-1 are kept (the sources of levels 1 .. levels). */
    readonly levels: number,
    private readonly maxBytes: number,
  ) {
    this.rows = Array.from({ length: levels }, () => []);
    this.seenToMs = Array.from({ length: levels }, () => -Infinity);
    this.completeFromMs = Array.from({ length: levels }, () => -Infinity);
  }

  /** Records a row just committed to `level` (samples: what it stands for). */
  add(level: number, row: SampleRow, samples: Uint8Array): void {
    if (level >= this.levels) return;
    const end = row.ts + LEVELS[level]!.widthMs;
    if (end > this.seenToMs[level]!) this.seenToMs[level] = end;
    if (row.ts < this.completeFromMs[level]!) return;
    this.rows[level]!.push({ ...row, samples });
    this.bytes += samples.byteLength + 64;
    if (this.bytes > this.maxBytes) {
      // Over budget (a large fleet, timestamps far ahead of the clock): start over from here.
      for (let l = 0; l < this.levels; l++) this.invalidate(l, this.seenToMs[l]!);
    }
  }

  /**
   * Memory no longer holds every row of `level` before `toMs` (a late row went to a cell
   * there, or rows there were written from a sum read from disk): those are read from disk.
   */
  invalidate(level: number, toMs: number): void {
    if (level >= this.levels || toMs <= this.completeFromMs[level]!) return;
    this.completeFromMs[level] = toMs;
    this.dropBefore(level, toMs);
  }

  /** The rows of `level` in [fromMs, toMs), or null when memory may not hold all of them. */
  rowsIn(level: number, fromMs: number, toMs: number): RecentRow[] | null {
    if (level >= this.levels || fromMs < this.completeFromMs[level]!) return null;
    return this.rows[level]!.filter((r) => r.ts >= fromMs && r.ts < toMs);
  }

  /** Forgets the rows of `level` before `toMs`: the next level has summed them. */
  dropBefore(level: number, toMs: number): void {
    if (level >= this.levels) return;
    const kept: RecentRow[] = [];
    for (const r of this.rows[level]!) {
      if (r.ts >= toMs) kept.push(r);
      else this.bytes -= r.samples.byteLength + 64;
    }
    this.rows[level] = kept;
  }

  /** Forgets the rows of `level` in [fromMs, toMs): retention deleted them on disk. */
  dropSpan(level: number, fromMs: number, toMs: number): void {
    if (level >= this.levels) return;
    const kept: RecentRow[] = [];
    for (const r of this.rows[level]!) {
      if (r.ts < fromMs || r.ts >= toMs) kept.push(r);
      else this.bytes -= r.samples.byteLength + 64;
    }
    this.rows[level] = kept;
  }
}

/**
 * Sums rows of one level into one row per (series, cell of `widthMs`), as Partitions.sumCells
 * does from disk with `below`: a cell of a single row becomes BELOW (standing for that row's
 * samples); a cell of several sums the samples they stand for.
 */
export function sumRecentRows(
  rows: readonly RecentRow[],
  widthMs: number,
  sums: StackSums,
  encoder: SampleEncoder,
): RecentRow[] {
  const cells = new Map<string, { cell: CellKey; rows: RecentRow[] }>();
  for (const r of rows) {
    const cell = { tenant: r.tenant, series: r.series, ts: floorTo(r.ts, widthMs) };
    const key = cellKey(cell);
    const entry = cells.get(key);
    if (entry === undefined) cells.set(key, { cell, rows: [r] });
    else entry.rows.push(r);
  }
  const out: RecentRow[] = [];
  for (const { cell, rows: list } of cells.values()) {
    if (list.length === 1) {
      out.push({ ...cell, data: BELOW_BLOB, samples: list[0]!.samples });
      continue;
    }
    for (const r of list) sums.addBlob(r.samples);
    const { stacks, values, count } = sums.take();
    const data = encoder.encode(stacks, values, count);
    out.push({ ...cell, data, samples: data });
  }
  return out;
}
