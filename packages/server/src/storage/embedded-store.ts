import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBBlobValue, type DuckDBConnection } from '@duckdb/node-api';
import { emptyCallTree, type CallTree } from '@kiln/model';
import { Dictionary } from './dictionary.js';
import { storageError } from './errors.js';
import { fromBigInt, hashString, toBigInt } from './ids.js';
import { resolveStorageLimits, type StorageLimits } from './limits.js';
import type {
  LabelQuery,
  Labels,
  Matcher,
  ProfileInput,
  ProfileStore,
  RetentionResult,
  SelectQuery,
  SelectSeriesQuery,
  TimeSeries,
  WriteResult,
} from './profile-store.js';
import { DEFAULT_RETENTION, floorTo, LEVELS, planCells, type CellRange, type RetentionPolicy } from './rollups.js';
import { checkFormat, readLevelTimes, writeLevelTimes } from './data-dir.js';
import { createTableSql, META_TABLES } from './schema.js';
import { BELOW_SQL, isBelow, SampleBuffer, SampleEncoder, sumSamples } from './sample-blob.js';
import {
  cellKey,
  cellsWhere,
  inTransaction,
  Partitions,
  sqlString,
  type CellKey,
  type SampleRow,
} from './partitions.js';
import { RecentRows, sumRecentRows, type RecentRow } from './recent-rows.js';
import { StackSums } from './stack-sums.js';
import { SeriesIndex, type SeriesEntry } from './series-index.js';
import { rejectProfile, validateProfile } from './validate-profile.js';

export interface EmbeddedStoreOptions {
  dataDir: string;
  limits?: Partial<StorageLimits>;
  retention?: Partial<RetentionPolicy>;
  /** false: every query reads raw 10 s buckets (tests compare both ways). Default true. */
  useRollups?: boolean;
  /** How often rollups are brought up to date in the background; 0 disables. Default 10 s. */
  compactIntervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** DuckDB's buffer memory limit in MiB (it caches partitions up to it). Default 1024. */
  memoryLimitMb?: number;
  /** Memory for rows not yet rolled up (RecentRows), in MiB; past it, compaction reads disk. Default 128. */
  recentRowsMb?: number;
}

/** Raw cells this recent are left for later compaction, so rollups rarely need late adds. */
const COMPACT_LAG_MS = 60_000;
/** At most this many target cells are summed per compaction transaction. */
const COMPACT_CELLS = 60;
/** Late cells folded per statement (their keys are spelled out in SQL). */
const FOLD_CELLS = 200;
/**
 * Levels whose new rows are kept in memory until the next level sums them (RecentRows): 0, 1
 * and 2, so 1 min, 10 min and 1 h cells are summed from memory. Level 3's hourly rows feed the
 * daily level, once a day: a day of every series' hourly sums is not worth keeping for that.
 */
const RECENT_LEVELS = 3;

interface TenantState {
  dictionary: Dictionary;
  series: SeriesIndex;
}

/** A write already interned and encoded, waiting for its group commit. */
interface PendingWrite {
  result: WriteResult;
  /** Level-0 rows, one per profile with samples. */
  rows: SampleRow[];
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

/** Opens (creating if needed) the embedded store in `options.dataDir`. */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const store = new EmbeddedStore(options);
  await store.open();
  return store;
}

/**
 * The embedded ProfileStore: DuckDB files in one data directory (docs/storage-format.md).
 *
 * Durability: writes are queued and run one batch at a time; a batch is one transaction on
 * meta.duckdb (new functions, stacks, series), then one per sample partition it touches.
 * DuckDB fsyncs its write-ahead log at each commit, and write() resolves only after the last
 * commit, so an acknowledged profile survives kill -9. Writes made in the same turn of the
 * event loop, or that arrive while a batch commits, are committed together (group commit),
 * which keeps fsyncs per second low.
 */
export class EmbeddedStore implements ProfileStore {
  private instance!: DuckDBInstance;
  private con!: DuckDBConnection;
  private readonly tenants = new Map<string, TenantState>();
  private partitions!: Partitions;
  private readonly limits: StorageLimits;
  private readonly retention: RetentionPolicy;
  private readonly useRollups: boolean;
  private readonly now: () => number;
  private retainedFromMs: number[] = LEVELS.map(() => -Infinity);
  private queue: PendingWrite[] = [];
  /** Series learned by writes since the last dictionary commit (as Dictionary.takeNew). */
  private newSeries: { tenant: string; entry: SeriesEntry }[] = [];
  /** Set while memory is reloaded from disk after a failed commit. */
  private reloading: Promise<void> | null = null;
  /** Per partition alias, rollup cells that late profiles added a row to, to fold (compact()). */
  private readonly lateCells = new Map<string, Map<string, CellKey>>();
  /** Scratch for summing blobs; only used inside synchronous stretches of code. */
  private readonly sums = new StackSums();
  private readonly buffer = new SampleBuffer();
  private readonly encoder = new SampleEncoder();
  private readonly recent: RecentRows;
  private running: Promise<void> = Promise.resolve();
  /** Queries in progress (reading()). */
  private readonly reads = new Set<Promise<unknown>>();
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: EmbeddedStoreOptions) {
    this.limits = resolveStorageLimits(options.limits);
    this.retention = { retentionMs: options.retention?.retentionMs ?? DEFAULT_RETENTION.retentionMs };
    this.useRollups = options.useRollups ?? true;
    this.now = options.now ?? Date.now;
    this.recent = new RecentRows(RECENT_LEVELS, (options.recentRowsMb ?? 128) * 2 ** 20);
  }

  async open(): Promise<void> {
    const dir = this.options.dataDir;
    mkdirSync(join(dir, 'samples'), { recursive: true });
    checkFormat(dir);
    this.instance = await DuckDBInstance.create(join(dir, 'meta.duckdb'));
    this.con = await this.instance.connect();
    await this.con.run(`SET memory_limit = '${Math.max(64, Math.floor(this.options.memoryLimitMb ?? 1024))}MB'`);
    for (const table of META_TABLES) await this.con.run(createTableSql(table));
    this.retainedFromMs = readLevelTimes(join(dir, 'retention.json'));
    this.partitions = new Partitions(this.con, join(dir, 'samples'), this.sums);
    this.partitions.emptyWatermarkMs = readLevelTimes(join(dir, 'rollup.json'));
    await this.partitions.attachAll();
    await this.findRecentOnDisk();
    await this.loadDictionaries();
    const interval = this.options.compactIntervalMs ?? 10_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.compact().catch(() => undefined), interval);
      this.timer.unref();
    }
  }

  // ---- writes ----

  /**
   * Validates, interns and encodes the profiles at once, synchronously: the caller's decoded
   * profiles are interned while their arrays are still in the CPU caches, and are garbage as
   * soon as it drops them; the queue holds only blobs. New functions, stacks and series wait
   * in memory for the next batch, whose dictionary commit comes before its samples.
   */
  write(tenant: string, profiles: readonly ProfileInput[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(storageError('ERR_STORAGE_CLOSED', 'the store is closed'));
    // After a failed commit, memory is reloaded from disk: intern against what is stored.
    if (this.reloading !== null) return this.reloading.then(() => this.write(tenant, profiles));
    const result: WriteResult = { written: 0, rejected: [] };
    let rows: SampleRow[];
    try {
      rows = this.prepare(tenant, profiles, result);
    } catch (err) {
      // What was interned before the throw is valid content; the next batch stores it.
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ result, rows, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        // Start on the next turn of the event loop, so that writes made in this one (uploads
        // parsed together, a Promise.all) share the first commit too.
        this.running = new Promise((started) => setImmediate(started)).then(() => this.drain());
      }
    });
  }

  /** The level-0 rows of the profiles that pass the checks; the others go in `result.rejected`. */
  private prepare(tenant: string, profiles: readonly ProfileInput[], result: WriteResult): SampleRow[] {
    const rows: SampleRow[] = [];
    const state = this.tenant(tenant);
    profiles.forEach((p, index) => {
      const rejected = validateProfile(p, index, this.limits);
      if (rejected) {
        result.rejected.push(rejected);
        return;
      }
      const labels = seriesLabels(p);
      const [hi, lo] = hashString(JSON.stringify(labels));
      const id = toBigInt(hi, lo);
      if (!state.series.byId.has(id)) {
        if (state.series.size >= this.limits.maxSeriesPerTenant) {
          result.rejected.push(
            rejectProfile(
              index,
              'ERR_STORAGE_SERIES_LIMIT',
              `maxSeriesPerTenant is ${this.limits.maxSeriesPerTenant}, tenant ${tenant} has reached it`,
            ),
          );
          return;
        }
        const entry = { id, profileType: p.profileType, labels };
        state.series.add(entry);
        this.newSeries.push({ tenant, entry });
      }
      const { stacks, values, count } =
        p.samples !== undefined
          ? state.dictionary.internStackSamples(p.samples)
          : state.dictionary.internCallTree(p.tree);
      const ts = floorTo(p.timeMs, LEVELS[0]!.widthMs);
      if (count > 0) rows.push({ tenant, series: id, ts, data: this.encoder.encode(stacks, values, count) });
      result.written++;
    });
    return rows;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.exclusive(() => this.writeBatch(batch));
          for (const w of batch) w.resolve(w.result);
        } catch (err) {
          // A failed commit leaves memory ahead of disk: reload what is really stored. Writes
          // queued meanwhile were interned against the memory being dropped: they fail too.
          const stale = this.queue;
          this.queue = [];
          this.reloading = this.loadDictionaries().catch(() => undefined);
          await this.reloading;
          this.reloading = null;
          for (const w of [...batch, ...stale]) w.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private lock: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier exclusive task: writes and compaction never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async writeBatch(batch: PendingWrite[]): Promise<void> {
    await this.storeDictionaries();
    // Level 0 first, then any rollup cell that was already summed (a late profile adds to it).
    const rows = new Map<string, SampleRow[]>();
    for (const w of batch) for (const r of w.rows) this.rowsFor(rows, 0, r.ts).push(r);
    for (const [key, list] of rows) {
      const [, startMs] = key.split(':').map(Number) as [number, number];
      await this.partitions.appendAndCommit(0, startMs, list);
      if (!this.useRollups) continue;
      const summedTo = this.partitions.watermark(1);
      for (const r of list) if (r.ts >= summedTo) this.recent.add(0, r, r.data);
      await this.addLate(list);
    }
  }

  private rowsFor(rows: Map<string, SampleRow[]>, level: number, ts: number): SampleRow[] {
    const key = `${level}:${floorTo(ts, LEVELS[level]!.partitionMs)}`;
    let list = rows.get(key);
    if (list === undefined) rows.set(key, (list = []));
    return list;
  }

  /**
   * Adds rows whose cells some rollup level has already summed to those levels as well, except
   * where the cell is BELOW: it reads the level below, which has the row already.
   */
  private async addLate(list: SampleRow[]): Promise<void> {
    for (let level = 1; level < LEVELS.length; level++) {
      const w = LEVELS[level]!.widthMs;
      const watermark = this.partitions.watermark(level);
      const late = list.filter((r) => r.ts < watermark && floorTo(r.ts, w) < watermark);
      if (late.length === 0) return;
      // Those cells now hold (or stand for) more than memory knows of.
      for (const r of late) this.recent.invalidate(level, floorTo(r.ts, w) + w);
      const byPartition = new Map<string, SampleRow[]>();
      for (const r of late) this.rowsFor(byPartition, level, r.ts).push({ ...r, ts: floorTo(r.ts, w) });
      for (const [key, rows] of byPartition) {
        const below = await this.partitions.belowCells(level, rows);
        const part = rows.filter((r) => !below.has(cellKey(r)));
        if (part.length === 0) continue;
        const p = await this.partitions.appendAndCommit(level, Number(key.split(':')[1]), part);
        let cells = this.lateCells.get(p.alias);
        if (cells === undefined) this.lateCells.set(p.alias, (cells = new Map()));
        for (const r of part) cells.set(cellKey(r), { tenant: r.tenant, series: r.series, ts: r.ts });
      }
    }
  }

  /** Commits the functions, stacks and series learned since the last call. */
  private async storeDictionaries(): Promise<void> {
    const pending = [...this.tenants].map(([tenant, state]) => ({ tenant, ...state.dictionary.takeNew() }));
    const newSeries = this.newSeries;
    this.newSeries = [];
    if (newSeries.length === 0 && pending.every((p) => p.functions.length === 0 && p.stacks.length === 0)) return;
    await inTransaction(this.con, async () => {
      const fns = await this.con.createAppender('functions');
      const stacks = await this.con.createAppender('stacks');
      const series = await this.con.createAppender('series');
      for (const p of pending) {
        for (const f of p.functions) {
          fns.appendVarchar(p.tenant);
          fns.appendUBigInt(toBigInt(f.hi, f.lo));
          fns.appendVarchar(f.name);
          fns.endRow();
        }
        for (const s of p.stacks) {
          stacks.appendVarchar(p.tenant);
          stacks.appendUBigInt(toBigInt(s.hi, s.lo));
          stacks.appendUBigInt(toBigInt(s.parentHi, s.parentLo));
          stacks.appendUBigInt(toBigInt(s.fnHi, s.fnLo));
          stacks.endRow();
        }
      }
      for (const { tenant, entry } of newSeries) {
        series.appendVarchar(tenant);
        series.appendUBigInt(entry.id);
        series.appendVarchar(entry.profileType);
        series.appendVarchar(JSON.stringify(entry.labels));
        series.endRow();
      }
      for (const a of [fns, stacks, series]) closeAppender(a);
    });
  }

  // ---- rollups ----

  async compact(): Promise<void> {
    if (this.closed || !this.useRollups) return;
    await this.exclusive(async () => {
      for (let level = 1; level < LEVELS.length; level++) await this.compactLevel(level);
      await this.foldLateCells();
    });
  }

  /**
   * Sums the rollup cells that late profiles added rows to back into one row each, so reads
   * of them stay one row per (series, cell). One transaction per partition: a crash leaves a
   * cell either as it was or folded. Cells are remembered in memory only; after a restart the
   * extra rows stay, which costs reads a little and is still exact.
   */
  private async foldLateCells(): Promise<void> {
    for (const [alias, cells] of this.lateCells) {
      this.lateCells.delete(alias);
      const p = this.partitions.get(alias);
      if (p === undefined) continue;
      const list = [...cells.values()];
      for (let i = 0; i < list.length; i += FOLD_CELLS) {
        const where = cellsWhere(list.slice(i, i + FOLD_CELLS));
        const summed = await this.partitions.sumCells([p], p.level, { where, below: false });
        await inTransaction(this.con, async () => {
          await this.con.run(`DELETE FROM ${alias}.samples WHERE ${where}`);
          await this.partitions.append(p, summed);
        });
      }
    }
  }

  private async compactLevel(level: number): Promise<void> {
    const { widthMs, partitionMs } = LEVELS[level]!;
    const source = level - 1;
    const parts = this.partitions;
    const sourceDone =
      source === 0 ? floorTo(this.now() - COMPACT_LAG_MS, LEVELS[0]!.widthMs) : parts.watermark(source);
    const end = floorTo(sourceDone, widthMs);
    let from = parts.watermark(level);
    if (!Number.isFinite(from)) {
      const first = parts.ofLevel(source)[0];
      if (first === undefined) return;
      from = floorTo(first.startMs, widthMs);
    }
    const startedAt = from;
    while (from < end) {
      const partStart = floorTo(from, partitionMs);
      // A bounded span per transaction: a backlog (after downtime) is summed a piece at a time.
      const to = Math.min(end, partStart + partitionMs, from + COMPACT_CELLS * widthMs);
      const sources = parts.overlapping(source, from, to);
      if (sources.length === 0) {
        // Nothing to sum: move on without creating an empty partition file.
        parts.emptyWatermarkMs[level] = to;
        from = to;
        continue;
      }
      const target = await parts.partition(level, partStart);
      // From memory when it holds every source row of the span (RecentRows), else from disk.
      const recent = this.recent.rowsIn(source, from, to);
      const summed =
        recent !== null
          ? sumRecentRows(recent, widthMs, this.sums, this.encoder)
          : await parts.sumCells(sources, level, { from, to, below: true });
      // One rollup_state row per compaction, the largest counts: no DELETE, which costs a
      // statement more.
      await inTransaction(
        this.con,
        async () => {
          if (summed.length > 0) await parts.append(target, summed);
        },
        `INSERT INTO ${target.alias}.rollup_state VALUES (${to})`,
      );
      target.watermarkMs = to;
      this.recent.dropBefore(source, to);
      if (recent === null) this.recent.invalidate(level, to);
      else for (const r of summed as RecentRow[]) this.recent.add(level, r, r.samples);
      from = to;
    }
    if (from !== startedAt) {
      parts.emptyWatermarkMs[level] = Math.max(parts.emptyWatermarkMs[level]!, from);
      writeLevelTimes(join(this.options.dataDir, 'rollup.json'), parts.emptyWatermarkMs);
    }
  }

  /**
   * After a restart, rows on disk that the next level has not summed are not in memory:
   * RecentRows starts after the last of them at each level.
   */
  private async findRecentOnDisk(): Promise<void> {
    for (let level = 0; level < RECENT_LEVELS; level++) {
      const { widthMs, partitionMs } = LEVELS[level]!;
      const summedTo = this.partitions.watermark(level + 1);
      for (const p of this.partitions.ofLevel(level)) {
        if (p.startMs + partitionMs <= summedTo) continue;
        const last = (await this.con.runAndReadAll(`SELECT max(ts) FROM ${p.alias}.samples`)).getRows()[0]?.[0];
        if (last !== null && last !== undefined) this.recent.invalidate(level, Number(last) + widthMs);
      }
    }
  }

  // ---- retention ----

  async applyRetention(nowMs: number): Promise<RetentionResult> {
    return this.exclusive(async () => {
      let deletedPartitions = 0;
      let freedBytes = 0;
      for (let level = 0; level < LEVELS.length; level++) {
        const keep = this.retention.retentionMs[level] ?? 0;
        if (keep <= 0) continue;
        const cutoff = nowMs - keep;
        const size = LEVELS[level]!.partitionMs;
        for (const p of this.partitions.ofLevel(level)) {
          const end = p.startMs + size;
          if (end > cutoff) continue;
          // Never drop data that a coarser level still keeping it has not summed yet.
          if (this.useRollups && !this.summedWhereKept(level, end, nowMs)) continue;
          if (level + 1 < LEVELS.length) await this.materializeBelow(level + 1, p.startMs, end);
          freedBytes += await this.partitions.remove(p);
          this.recent.dropSpan(level, p.startMs, end);
          deletedPartitions++;
          this.retainedFromMs[level] = Math.max(this.retainedFromMs[level]!, end);
        }
      }
      if (deletedPartitions > 0) {
        writeLevelTimes(join(this.options.dataDir, 'rollup.json'), this.partitions.emptyWatermarkMs);
        writeLevelTimes(join(this.options.dataDir, 'retention.json'), this.retainedFromMs);
      }
      return { deletedPartitions, freedBytes };
    });
  }

  /**
   * Replaces the BELOW cells of `level` in [from, to) by the samples they stand for, before the
   * level below deletes that span. One transaction per partition; a crash between them leaves
   * some cells BELOW and the level below in place, and the next retention pass finishes.
   */
  private async materializeBelow(level: number, from: number, to: number): Promise<void> {
    const where = `data = ${BELOW_SQL}`;
    for (const q of this.partitions.overlapping(level, from, to)) {
      const rows = await this.partitions.sumCells([q], level, { from, to, where, below: false });
      if (rows.length === 0) continue;
      await inTransaction(this.con, async () => {
        await this.con.run(`DELETE FROM ${q.alias}.samples WHERE ts >= ${from} AND ts < ${to} AND ${where}`);
        await this.partitions.append(q, rows);
      });
    }
  }

  /**
   * Whether the data of `level` before `end` is safe to delete: some coarser level that keeps
   * that time has summed it, or no coarser level keeps it at all.
   */
  private summedWhereKept(level: number, end: number, nowMs: number): boolean {
    let anyKeeps = false;
    for (let m = level + 1; m < LEVELS.length; m++) {
      const keep = this.retention.retentionMs[m] ?? 0;
      if (keep !== 0 && end <= nowMs - keep) continue;
      anyKeeps = true;
      if (this.partitions.watermark(m) >= end) return true;
    }
    return !anyKeeps;
  }

  // ---- queries ----

  selectMergeTree(query: SelectQuery): Promise<CallTree> {
    return this.reading(async () => {
      this.checkOpen();
      const state = this.tenants.get(query.tenant);
      if (!state) return emptyCallTree();
      const series = state.series.select(matchersOf(query.matchers), query.profileType);
      if (series.length === 0) return emptyCallTree();
      const cells = this.plan(query.startMs, query.endMs, LEVELS.length - 1);
      const rows = await this.readCells(cells, query.tenant, series);
      // From here on synchronous: the shared sums are never used by two queries at once.
      for (const r of rows) this.sums.addBlob(r.data);
      const { stacks, values, count } = this.sums.take();
      return state.dictionary.buildTree(stacks, values, count);
    });
  }

  selectSeries(query: SelectSeriesQuery): Promise<TimeSeries[]> {
    return this.reading(async () => {
      this.checkOpen();
      const state = this.tenants.get(query.tenant);
      if (!state) return [];
      const series = state.series.select(matchersOf(query.matchers), query.profileType);
      if (series.length === 0) return [];
      const step = Math.max(query.stepMs, LEVELS[0]!.widthMs);
      // Rollup cells may be read only when they nest in the step.
      let maxLevel = 0;
      for (let l = 1; l < LEVELS.length; l++) if (step % LEVELS[l]!.widthMs === 0) maxLevel = l;
      // Steps are aligned to multiples of stepMs; only data inside [startMs, endMs) counts, so
      // a range that is not step-aligned has partial first and last steps.
      const start = query.startMs;
      const end = query.endMs;
      const cells = this.plan(start, end, maxLevel);
      const rows = await this.readCells(cells, query.tenant, series);
      // One point per (series, step): rows of the same series and step add up first. A BELOW
      // cell's rows are finer than it, so they fall in its step.
      const perSeriesStep = new Map<string, { id: bigint; t: number; sum: number }>();
      for (const r of rows) {
        const t = floorTo(r.ts, step);
        const key = `${r.series}:${t}`;
        const point = perSeriesStep.get(key) ?? { id: r.series, t, sum: 0 };
        point.sum += sumSamples(r.data, this.buffer);
        perSeriesStep.set(key, point);
      }
      const points = [...perSeriesStep.values()];
      const ids = points.map((p) => p.id);
      const times = points.map((p) => p.t);
      const sums = points.map((p) => p.sum);
      const groupBy = query.groupBy ?? [];
      const groups = new Map<string, { labels: Labels; points: Map<number, { sum: number; series: number }> }>();
      for (let i = 0; i < ids.length; i++) {
        const entry = state.series.byId.get(ids[i] as bigint)!;
        const labels: Record<string, string> = {};
        for (const name of groupBy) labels[name] = entry.labels[name] ?? '';
        const key = JSON.stringify(labels);
        let group = groups.get(key);
        if (group === undefined) groups.set(key, (group = { labels, points: new Map() }));
        const t = Number(times[i]);
        const point = group.points.get(t) ?? { sum: 0, series: 0 };
        point.sum += Number(sums[i]);
        point.series++;
        group.points.set(t, point);
      }
      const avg = query.aggregation === 'avg';
      return [...groups.values()]
        .map((g) => ({
          labels: g.labels,
          points: [...g.points.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([t, p]): [number, number] => [t, avg ? p.sum / p.series : p.sum]),
        }))
        .sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
    });
  }

  series(query: LabelQuery): Promise<Labels[]> {
    return this.reading(async () => {
      return (await this.activeSeries(query)).map((s) => s.labels);
    });
  }

  labelNames(query: LabelQuery): Promise<string[]> {
    return this.reading(async () => {
      const names = new Set<string>();
      for (const s of await this.activeSeries(query)) for (const name of Object.keys(s.labels)) names.add(name);
      return [...names].sort();
    });
  }

  labelValues(query: LabelQuery & { name: string }): Promise<string[]> {
    return this.reading(async () => {
      const values = new Set<string>();
      for (const s of await this.activeSeries(query)) {
        const v = s.labels[query.name];
        if (v !== undefined) values.add(v);
      }
      return [...values].sort();
    });
  }

  profileTypes(query: { tenant: string; startMs: number; endMs: number }): Promise<string[]> {
    return this.reading(async () => {
      return [...new Set((await this.activeSeries(query)).map((s) => s.profileType))].sort();
    });
  }

  /** Series that match and have samples in the range. */
  private async activeSeries(query: LabelQuery): Promise<SeriesEntry[]> {
    this.checkOpen();
    const state = this.tenants.get(query.tenant);
    if (!state) return [];
    const candidates = state.series.select(matchersOf(query.matchers));
    if (candidates.length === 0) return [];
    const cells = this.plan(query.startMs, query.endMs, LEVELS.length - 1);
    const inner = this.cellSelects(cells, query.tenant, candidates, 'series_id');
    if (inner === null) return [];
    const result = await this.con.runAndReadAll(`SELECT DISTINCT series_id FROM (${inner})`);
    const ids = result.getColumns()[0] ?? [];
    return ids.map((id) => state.series.byId.get(id as bigint)!).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private plan(startMs: number, endMs: number, maxLevel: number): CellRange[] {
    return planCells(startMs, endMs, {
      watermarkMs: LEVELS.map((_, l) => this.partitions.watermark(l)),
      retainedFromMs: this.retainedFromMs,
      maxLevel: this.useRollups ? maxLevel : 0,
    });
  }

  /** The rows of the planned cells for `series`, BELOW cells replaced by what they stand for. */
  private async readCells(cells: CellRange[], tenant: string, series: SeriesEntry[]): Promise<SampleRow[]> {
    const inner = this.cellSelects(cells, tenant, series, 'series_id, ts, data');
    if (inner === null) return [];
    const [levels = [], ids = [], times = [], blobs = []] = (await this.con.runAndReadAll(inner)).getColumns();
    const rows: SampleRow[] = [];
    const below: { row: CellKey; level: number }[] = [];
    for (let i = 0; i < levels.length; i++) {
      const row = { tenant, series: ids[i] as bigint, ts: Number(times[i]), data: (blobs[i] as DuckDBBlobValue).bytes };
      if (isBelow(row.data)) below.push({ row, level: Number(levels[i]) });
      else rows.push(row);
    }
    if (below.length > 0) rows.push(...(await this.partitions.expandBelow(below)));
    return rows;
  }

  /**
   * One SELECT per partition a cell range touches, UNION ALL'd, each row with its `level`
   * first; null when none exists.
   */
  private cellSelects(cells: CellRange[], tenant: string, series: SeriesEntry[], columns: string): string | null {
    const ids = series.map((s) => s.id.toString()).join(', ');
    const parts: string[] = [];
    for (const c of cells) {
      for (const p of this.partitions.overlapping(c.level, c.fromMs, c.toMs)) {
        parts.push(
          `SELECT ${c.level} AS level, ${columns} FROM ${p.alias}.samples WHERE tenant = ${sqlString(tenant)} AND ts >= ${c.fromMs} AND ts < ${c.toMs} AND series_id IN (${ids})`,
        );
      }
    }
    return parts.length === 0 ? null : parts.join(' UNION ALL ');
  }

  // ---- lifecycle ----

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // Queries already reading finish first (a shutdown may have dropped their connections).
    await Promise.allSettled(this.reads);
    await this.running;
    await this.lock.catch(() => undefined);
    await this.con.run('CHECKPOINT').catch(() => undefined);
    this.con.closeSync();
    this.instance.closeSync();
  }

  /** Runs a query, tracked so that close() waits for it rather than closing DuckDB under it. */
  private async reading<T>(query: () => Promise<T>): Promise<T> {
    this.checkOpen();
    const run = query();
    this.reads.add(run);
    try {
      return await run;
    } finally {
      this.reads.delete(run);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw storageError('ERR_STORAGE_CLOSED', 'the store is closed');
  }

  private tenant(tenant: string): TenantState {
    let state = this.tenants.get(tenant);
    if (state === undefined)
      this.tenants.set(tenant, (state = { dictionary: new Dictionary(), series: new SeriesIndex() }));
    return state;
  }

  private async loadDictionaries(): Promise<void> {
    this.tenants.clear();
    this.newSeries = [];
    const fns = (await this.con.runAndReadAll('SELECT tenant, id, name FROM functions ORDER BY rowid')).getColumns();
    for (let i = 0; i < (fns[0]?.length ?? 0); i++) {
      const [hi, lo] = fromBigInt(fns[1]![i] as bigint);
      this.tenant(fns[0]![i] as string).dictionary.addFunction(fns[2]![i] as string, hi, lo);
    }
    // Parents before children: insertion order. A stack's parent is always stored first.
    const stacks = (
      await this.con.runAndReadAll('SELECT tenant, id, parent_id, function_id FROM stacks ORDER BY rowid')
    ).getColumns();
    for (let i = 0; i < (stacks[0]?.length ?? 0); i++) {
      const d = this.tenant(stacks[0]![i] as string).dictionary;
      const [hi, lo] = fromBigInt(stacks[1]![i] as bigint);
      const [phi, plo] = fromBigInt(stacks[2]![i] as bigint);
      const [fhi, flo] = fromBigInt(stacks[3]![i] as bigint);
      const parent = phi === 0 && plo === 0 ? -1 : d.stacks.get(phi, plo);
      d.addStack(hi, lo, parent, d.functions.get(fhi, flo), false);
    }
    const series = (await this.con.runAndReadAll('SELECT tenant, id, profile_type, labels FROM series')).getColumns();
    for (let i = 0; i < (series[0]?.length ?? 0); i++) {
      this.tenant(series[0]![i] as string).series.add({
        id: series[1]![i] as bigint,
        profileType: series[2]![i] as string,
        labels: JSON.parse(series[3]![i] as string) as Labels,
      });
    }
  }
}

function seriesLabels(p: ProfileInput): Labels {
  const labels: Record<string, string> = { ...p.labels };
  labels['__profile_type__'] = p.profileType;
  labels['__name__'] = p.profileType.split(':')[0]!;
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function matchersOf(matchers: readonly Matcher[] | undefined): readonly Matcher[] {
  return matchers ?? [];
}

function closeAppender(a: DuckDBAppender): void {
  a.flushSync();
  a.closeSync();
}
