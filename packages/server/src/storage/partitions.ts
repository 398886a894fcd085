import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBBlobValue, DuckDBConnection } from '@duckdb/node-api';
import { floorTo, LEVELS } from './rollups.js';
import { BELOW_BLOB, BELOW_SQL, isBelow, SampleEncoder } from './sample-blob.js';
import { createTableSql, PARTITION_TABLES } from './schema.js';
import type { StackSums } from './stack-sums.js';

/** Rows per DuckDB row group in partition files (a multiple of DuckDB's vector size, 2,048). */
const PARTITION_ROW_GROUP_SIZE = 2048;
/** Past this many separate spans, a read covers them with one span and filters in JS. */
const MAX_READ_SPANS = 32;

/** One partition file: a span of one level, attached to the store's connection as `alias`. */
export interface Partition {
  level: number;
  startMs: number;
  alias: string;
  path: string;
  /** Cells starting before this are summed from the level below (rollup_state). */
  watermarkMs: number;
}

/** A cell of one series: `ts` is the cell start. */
export interface CellKey {
  tenant: string;
  series: bigint;
  ts: number;
}

/** A samples row: `data` is a sample-blob.ts blob. */
export interface SampleRow extends CellKey {
  data: Uint8Array;
}

export interface SumCellsOptions {
  from?: number;
  to?: number;
  /** An SQL condition on the rows. */
  where?: string;
  /** Write a cell summed from a single row as BELOW instead of as a copy. */
  below: boolean;
}

/**
 * The sample partition files under `<dataDir>/samples` (docs/storage-format.md) and the
 * row-level reads and writes on them, including BELOW cells. The store serializes every write
 * (its exclusive lock); methods that write say whether they commit or run inside the caller's
 * transaction.
 */
export class Partitions {
  private readonly byAlias = new Map<string, Partition>();
  private readonly encoder = new SampleEncoder();
  /** Per level, how far compaction has passed over ranges with nothing to sum (rollup.json). */
  emptyWatermarkMs: number[] = LEVELS.map(() => -Infinity);

  constructor(
    private readonly con: DuckDBConnection,
    private readonly samplesDir: string,
    /** Scratch shared with the store; used only inside synchronous stretches of code. */
    private readonly sums: StackSums,
  ) {}

  /** Attaches every partition file found on disk. */
  async attachAll(): Promise<void> {
    for (let level = 0; level < LEVELS.length; level++) {
      const levelDir = join(this.samplesDir, String(level));
      if (!existsSync(levelDir)) continue;
      for (const file of readdirSync(levelDir)) {
        const m = /^(\d+)\.duckdb$/.exec(file);
        if (m) await this.attach(level, Number(m[1]));
      }
    }
  }

  get(alias: string): Partition | undefined {
    return this.byAlias.get(alias);
  }

  /** The partition of `level` starting at `startMs`, created when missing. */
  async partition(level: number, startMs: number): Promise<Partition> {
    return this.byAlias.get(aliasOf(level, startMs)) ?? (await this.attach(level, startMs));
  }

  /** The partitions of `level`, oldest first. */
  ofLevel(level: number): Partition[] {
    return [...this.byAlias.values()].filter((p) => p.level === level).sort((a, b) => a.startMs - b.startMs);
  }

  overlapping(level: number, from: number, to: number): Partition[] {
    const size = LEVELS[level]!.partitionMs;
    return this.ofLevel(level).filter((p) => p.startMs < to && p.startMs + size > from);
  }

  /** Cells of `level` starting before this are summed from the level below (level 0: all). */
  watermark(level: number): number {
    if (level === 0) return Infinity;
    let wm = this.emptyWatermarkMs[level]!;
    for (const p of this.ofLevel(level)) wm = Math.max(wm, p.watermarkMs);
    return wm;
  }

  /** Detaches a partition and deletes its files; returns the bytes freed. */
  async remove(p: Partition): Promise<number> {
    await this.con.run(`DETACH ${p.alias}`);
    this.byAlias.delete(p.alias);
    // Its rollup watermark leaves with it; keep the level's watermark from going back.
    this.emptyWatermarkMs[p.level] = Math.max(this.emptyWatermarkMs[p.level]!, p.watermarkMs);
    let freed = 0;
    for (const file of [p.path, `${p.path}.wal`]) {
      if (existsSync(file)) {
        freed += statSync(file).size;
        rmSync(file);
      }
    }
    return freed;
  }

  /** Appends rows to a partition, inside the caller's transaction. */
  async append(p: Partition, rows: readonly SampleRow[]): Promise<void> {
    const a = await this.con.createAppender('samples', 'main', p.alias);
    for (const r of rows) {
      a.appendVarchar(r.tenant);
      a.appendUBigInt(r.series);
      a.appendBigInt(BigInt(r.ts));
      a.appendBlob(r.data);
      a.endRow();
    }
    a.flushSync();
    a.closeSync();
  }

  /** Appends rows to the partition of `level` starting at `startMs` and commits. */
  async appendAndCommit(level: number, startMs: number, rows: readonly SampleRow[]): Promise<Partition> {
    const p = await this.partition(level, startMs);
    await inTransaction(this.con, () => this.append(p, rows));
    return p;
  }

  /**
   * Sums rows of `sources` (partitions of one level) into one row per (series, cell of
   * `level`): the rows in [from, to) that match `where`. With `below`, a cell summed from a
   * single row is written as BELOW instead of as a copy of it; a BELOW row among several is
   * replaced by the rows it stands for.
   *
   * The SQL is plain scans, grouped here: a GROUP BY or ORDER BY made each statement cost 1–1.5 ms
   * more of DuckDB's CPU than the scan (its hash table and sort set-up), for a few dozen rows.
   */
  async sumCells(sources: readonly Partition[], level: number, options: SumCellsOptions): Promise<SampleRow[]> {
    const widthMs = LEVELS[level]!.widthMs;
    // Compacting, the rows are one level down; folding and materializing, of `level` itself.
    const rowLevel = sources[0]!.level;
    const conditions = [options.where ?? 'true'];
    if (options.from !== undefined) conditions.push(`ts >= ${options.from}`);
    if (options.to !== undefined) conditions.push(`ts < ${options.to}`);
    const select = (columns: string, extra: string): string =>
      sources
        .map((p) => `SELECT ${columns} FROM ${p.alias}.samples WHERE ${conditions.join(' AND ')}${extra}`)
        .join(' UNION ALL ');
    const out: SampleRow[] = [];
    let several: Set<string> | null = null;
    let extra = '';
    if (options.below) {
      // The cells and their rows first, without blobs: a cell of a single row becomes BELOW
      // and needs no blob read, and in sparse series (an upload per 30 minutes) every cell is
      // one. Only the series of cells with several rows are read again, with their blobs.
      const [tenants = [], series = [], times = []] = (
        await this.con.runAndReadAll(select('tenant, series_id, ts', ''))
      ).getColumns();
      const rowsOfCell = new Map<string, { cell: CellKey; rows: number }>();
      for (let i = 0; i < tenants.length; i++) {
        const cell = cellAt(tenants, series, times, i, widthMs);
        const key = cellKey(cell);
        const entry = rowsOfCell.get(key);
        if (entry === undefined) rowsOfCell.set(key, { cell, rows: 1 });
        else entry.rows++;
      }
      several = new Set();
      const ids = new Set<bigint>();
      for (const [key, { cell, rows }] of rowsOfCell) {
        if (rows === 1) out.push({ ...cell, data: BELOW_BLOB });
        else {
          several.add(key);
          ids.add(cell.series);
        }
      }
      if (several.size === 0) return out;
      extra = ` AND series_id IN (${[...ids].join(', ')})`;
    }
    const [tenants = [], series = [], times = [], blobs = []] = (
      await this.con.runAndReadAll(select('tenant, series_id, ts, data', extra))
    ).getColumns();
    const groups = new Map<string, { cell: CellKey; rows: number[] }>();
    for (let i = 0; i < tenants.length; i++) {
      const cell = cellAt(tenants, series, times, i, widthMs);
      const key = cellKey(cell);
      if (several !== null && !several.has(key)) continue;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { cell, rows: [i] });
      else group.rows.push(i);
    }
    const expand: { row: CellKey; level: number }[] = [];
    for (const { cell, rows } of groups.values()) {
      if (rows.length === 1 && options.below) continue;
      for (const i of rows) {
        if (isBelow((blobs[i] as DuckDBBlobValue).bytes)) {
          expand.push({ row: { tenant: cell.tenant, series: cell.series, ts: Number(times[i]) }, level: rowLevel });
        }
      }
    }
    const expanded = new Map<string, SampleRow[]>();
    for (const r of await this.expandBelow(expand)) {
      const key = cellKey({ tenant: r.tenant, series: r.series, ts: floorTo(r.ts, widthMs) });
      const list = expanded.get(key);
      if (list === undefined) expanded.set(key, [r]);
      else list.push(r);
    }
    for (const [key, { cell, rows }] of groups) {
      if (rows.length === 1 && options.below) {
        out.push({ ...cell, data: BELOW_BLOB });
        continue;
      }
      for (const i of rows) {
        const blob = (blobs[i] as DuckDBBlobValue).bytes;
        if (!isBelow(blob)) this.sums.addBlob(blob);
      }
      for (const r of expanded.get(key) ?? []) this.sums.addBlob(r.data);
      const { stacks, values, count } = this.sums.take();
      out.push({ ...cell, data: this.encoder.encode(stacks, values, count) });
    }
    return out;
  }

  /**
   * The rows that BELOW cells stand for: each cell's rows one level down, and theirs where
   * those are BELOW too, down to rows with samples. `level` is each cell's own level.
   */
  async expandBelow(cells: readonly { row: CellKey; level: number }[]): Promise<SampleRow[]> {
    const out: SampleRow[] = [];
    let pending = cells;
    while (pending.length > 0) {
      const next: { row: CellKey; level: number }[] = [];
      for (const level of new Set(pending.map((c) => c.level))) {
        if (level === 0) throw new Error('a raw cell cannot be BELOW');
        const widthMs = LEVELS[level]!.widthMs;
        const atLevel = pending.filter((c) => c.level === level).map((c) => c.row);
        const wanted = new Set(atLevel.map(cellKey));
        for (const r of await this.readRows(level - 1, atLevel, widthMs)) {
          if (!wanted.has(cellKey({ tenant: r.tenant, series: r.series, ts: floorTo(r.ts, widthMs) }))) continue;
          if (isBelow(r.data)) next.push({ row: r, level: level - 1 });
          else out.push(r);
        }
      }
      pending = next;
    }
    return out;
  }

  /** The keys (cellKey) of the cells among `cells` of `level` that are BELOW. */
  async belowCells(level: number, cells: readonly CellKey[]): Promise<Set<string>> {
    const out = new Set<string>();
    const from = Math.min(...cells.map((c) => c.ts));
    const to = Math.max(...cells.map((c) => c.ts)) + 1;
    for (const p of this.overlapping(level, from, to)) {
      const result = await this.con.runAndReadAll(
        `SELECT tenant, series_id, ts FROM ${p.alias}.samples WHERE data = ${BELOW_SQL} AND (${cellsWhere(cells)})`,
      );
      const [tenants = [], series = [], times = []] = result.getColumns();
      for (let i = 0; i < tenants.length; i++) {
        out.add(cellKey({ tenant: tenants[i] as string, series: series[i] as bigint, ts: Number(times[i]) }));
      }
    }
    return out;
  }

  /** The rows of `level` for the series of `cells` over the spans of those cells (`widthMs` each). */
  private async readRows(level: number, cells: readonly CellKey[], widthMs: number): Promise<SampleRow[]> {
    const starts = [...new Set(cells.map((c) => c.ts))].sort((a, b) => a - b);
    // Adjacent cells as one span; past a few dozen spans, one span over them all.
    const spans: [number, number][] = [];
    for (const t of starts) {
      const last = spans[spans.length - 1];
      if (last !== undefined && last[1] === t) last[1] = t + widthMs;
      else spans.push([t, t + widthMs]);
    }
    if (spans.length > MAX_READ_SPANS) spans.splice(0, spans.length, [spans[0]![0], spans[spans.length - 1]![1]]);
    const tenants = [...new Set(cells.map((c) => c.tenant))].map(sqlString).join(', ');
    const ids = [...new Set(cells.map((c) => c.series))].join(', ');
    const within = spans.map(([a, b]) => `(ts >= ${a} AND ts < ${b})`).join(' OR ');
    const out: SampleRow[] = [];
    for (const p of this.overlapping(level, spans[0]![0], spans[spans.length - 1]![1])) {
      const result = await this.con.runAndReadAll(
        `SELECT tenant, series_id, ts, data FROM ${p.alias}.samples WHERE tenant IN (${tenants}) AND series_id IN (${ids}) AND (${within})`,
      );
      const [t = [], s = [], ts = [], data = []] = result.getColumns();
      for (let i = 0; i < t.length; i++) {
        out.push({
          tenant: t[i] as string,
          series: s[i] as bigint,
          ts: Number(ts[i]),
          data: (data[i] as DuckDBBlobValue).bytes,
        });
      }
    }
    return out;
  }

  private async attach(level: number, startMs: number): Promise<Partition> {
    const alias = aliasOf(level, startMs);
    const dir = join(this.samplesDir, String(level));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${startMs}.duckdb`);
    // Small row groups: DuckDB rewrites a table's last, partly filled row group at every
    // checkpoint, copy-on-write, and with the default of 122,880 rows of kilobyte blobs the
    // file keeps that much free space; with 2,048 rows it is about 2 % (storage-format.md).
    await this.con.run(`ATTACH '${path}' AS ${alias} (ROW_GROUP_SIZE ${PARTITION_ROW_GROUP_SIZE})`);
    for (const table of PARTITION_TABLES) await this.con.run(createTableSql(table, alias));
    const state = await this.con.runAndReadAll(`SELECT max(watermark_ms) FROM ${alias}.rollup_state`);
    const wm = state.getRows()[0]?.[0];
    const p: Partition = {
      level,
      startMs,
      alias,
      path,
      watermarkMs: wm === null || wm === undefined ? startMs : Number(wm),
    };
    this.byAlias.set(alias, p);
    return p;
  }
}

/**
 * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws.
 * `lastSql` runs after `fn`, sent with the COMMIT: a statement costs a round trip to DuckDB's
 * threads (a few tenths of a millisecond), and compaction commits thousands of times a day.
 */
export async function inTransaction<T>(con: DuckDBConnection, fn: () => Promise<T>, lastSql?: string): Promise<T> {
  await con.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await con.run(lastSql === undefined ? 'COMMIT' : `${lastSql}; COMMIT`);
    return result;
  } catch (err) {
    await con.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Row `i` of read (tenant, series_id, ts) columns: the cell of `widthMs` it falls in. */
function cellAt(
  tenants: readonly unknown[],
  series: readonly unknown[],
  times: readonly unknown[],
  i: number,
  widthMs: number,
): CellKey {
  return { tenant: tenants[i] as string, series: series[i] as bigint, ts: floorTo(Number(times[i]), widthMs) };
}

export function cellKey(c: CellKey): string {
  return `${c.tenant}\u0000${c.series}\u0000${c.ts}`;
}

/** SQL matching the rows of these cells exactly (tenant, series and cell start). */
export function cellsWhere(cells: readonly CellKey[]): string {
  return cells
    .map((c) => `(tenant = ${sqlString(c.tenant)} AND series_id = ${c.series} AND ts = ${c.ts})`)
    .join(' OR ');
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function aliasOf(level: number, startMs: number): string {
  return `p${level}_${startMs}`;
}
