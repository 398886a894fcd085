import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBBlobValue, type DuckDBConnection } from '@duckdb/node-api';
import { emptyCallTree, parseProfileTypeId, type CallTree } from '@kiln/model';
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
  RejectedProfile,
  RetentionResult,
  SelectQuery,
  SelectSeriesQuery,
  TimeSeries,
  WriteResult,
} from './profile-store.js';
import { DEFAULT_RETENTION, floorTo, LEVELS, planCells, type CellRange, type RetentionPolicy } from './rollups.js';
import { createTableSql, FORMAT_NAME, FORMAT_VERSION, META_TABLES, PARTITION_TABLES } from './schema.js';
import { decodeSamples, encodeSamples, sumSamples } from './sample-blob.js';
import { SeriesIndex, type SeriesEntry } from './series-index.js';

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
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;
/** Raw cells this recent are left for later compaction, so rollups rarely need late adds. */
const COMPACT_LAG_MS = 60_000;

interface Partition {
  level: number;
  startMs: number;
  alias: string;
  path: string;
  watermarkMs: number;
}

interface TenantState {
  dictionary: Dictionary;
  series: SeriesIndex;
}

interface PendingWrite {
  tenant: string;
  profiles: readonly ProfileInput[];
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
 * commit, so an acknowledged profile survives kill -9. Writes that arrive while a batch
 * commits wait and are committed together (group commit), which keeps fsyncs per second low.
 */
export class EmbeddedStore implements ProfileStore {
  private instance!: DuckDBInstance;
  private con!: DuckDBConnection;
  private readonly tenants = new Map<string, TenantState>();
  private readonly partitions = new Map<string, Partition>();
  private readonly limits: StorageLimits;
  private readonly retention: RetentionPolicy;
  private readonly useRollups: boolean;
  private readonly now: () => number;
  private retainedFromMs: number[] = LEVELS.map(() => -Infinity);
  /** Per level, how far compaction has passed over ranges with nothing to sum (rollup.json). */
  private emptyWatermarkMs: number[] = LEVELS.map(() => -Infinity);
  private queue: PendingWrite[] = [];
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: EmbeddedStoreOptions) {
    this.limits = resolveStorageLimits(options.limits);
    this.retention = { retentionMs: options.retention?.retentionMs ?? DEFAULT_RETENTION.retentionMs };
    this.useRollups = options.useRollups ?? true;
    this.now = options.now ?? Date.now;
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
    this.emptyWatermarkMs = readLevelTimes(join(dir, 'rollup.json'));
    for (let level = 0; level < LEVELS.length; level++) {
      const levelDir = join(dir, 'samples', String(level));
      if (!existsSync(levelDir)) continue;
      for (const file of readdirSync(levelDir)) {
        const m = /^(\d+)\.duckdb$/.exec(file);
        if (m) await this.attach(level, Number(m[1]));
      }
    }
    await this.loadDictionaries();
    const interval = this.options.compactIntervalMs ?? 10_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.compact().catch(() => undefined), interval);
      this.timer.unref();
    }
  }

  // ---- writes ----

  write(tenant: string, profiles: readonly ProfileInput[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(storageError('ERR_STORAGE_CLOSED', 'the store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ tenant, profiles, resolve, reject });
      if (!this.busy) this.running = this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const results = await this.exclusive(() => this.writeBatch(batch));
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (err) {
          // A failed commit leaves memory ahead of disk: reload what is really stored.
          await this.loadDictionaries().catch(() => undefined);
          for (const w of batch) w.reject(err);
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

  private async writeBatch(batch: PendingWrite[]): Promise<WriteResult[]> {
    const rows = new Map<string, SampleRow[]>();
    const newSeries: { tenant: string; entry: SeriesEntry }[] = [];
    const results = batch.map((w) => {
      const result: WriteResult = { written: 0, rejected: [] };
      const state = this.tenant(w.tenant);
      w.profiles.forEach((p, index) => {
        const rejected = this.validate(p, index);
        if (rejected) {
          result.rejected.push(rejected);
          return;
        }
        const labels = seriesLabels(p);
        const key = JSON.stringify(labels);
        const [hi, lo] = hashString(key);
        const id = toBigInt(hi, lo);
        if (!state.series.byId.has(id)) {
          if (state.series.size >= this.limits.maxSeriesPerTenant) {
            result.rejected.push(
              reject(
                index,
                'ERR_STORAGE_SERIES_LIMIT',
                `maxSeriesPerTenant is ${this.limits.maxSeriesPerTenant}, tenant ${w.tenant} has reached it`,
              ),
            );
            return;
          }
          const entry = { id, profileType: p.profileType, labels };
          state.series.add(entry);
          newSeries.push({ tenant: w.tenant, entry });
        }
        const stackOf = state.dictionary.internTree(p.tree);
        const ts = floorTo(p.timeMs, LEVELS[0]!.widthMs);
        const stacks = new Int32Array(p.tree.size);
        const values = new Float64Array(p.tree.size);
        let n = 0;
        for (let node = 1; node < p.tree.size; node++) {
          const value = p.tree.self[node]!;
          if (value === 0) continue;
          stacks[n] = stackOf[node]!;
          values[n++] = value;
        }
        if (n > 0)
          this.rowsFor(rows, 0, ts).push({ tenant: w.tenant, series: id, ts, data: encodeSamples(stacks, values, n) });
        result.written++;
      });
      return result;
    });

    await this.storeDictionaries(newSeries);
    // Level 0 first, then any rollup cell that was already summed (a late profile adds to it).
    const level0 = [...rows.entries()];
    for (const [key, list] of level0) {
      const [, startMs] = key.split(':').map(Number) as [number, number];
      await this.appendRows(0, startMs, list);
      if (this.useRollups) await this.addLate(list);
    }
    return results;
  }

  private rowsFor(rows: Map<string, SampleRow[]>, level: number, ts: number): SampleRow[] {
    const key = `${level}:${floorTo(ts, LEVELS[level]!.partitionMs)}`;
    let list = rows.get(key);
    if (list === undefined) rows.set(key, (list = []));
    return list;
  }

  /** Adds rows whose cells some rollup level has already summed to those levels as well. */
  private async addLate(list: SampleRow[]): Promise<void> {
    for (let level = 1; level < LEVELS.length; level++) {
      const w = LEVELS[level]!.widthMs;
      const late = list.filter((r) => r.ts < this.watermark(level) && floorTo(r.ts, w) < this.watermark(level));
      if (late.length === 0) return;
      const byPartition = new Map<string, SampleRow[]>();
      for (const r of late) this.rowsFor(byPartition, level, r.ts).push({ ...r, ts: floorTo(r.ts, w) });
      for (const [key, part] of byPartition) {
        await this.appendRows(level, Number(key.split(':')[1]), part);
      }
    }
  }

  private validate(p: ProfileInput, index: number): RejectedProfile | null {
    if (parseProfileTypeId(p.profileType) === null) {
      return reject(
        index,
        'ERR_STORAGE_INVALID_PROFILE_TYPE',
        `profile type "${p.profileType}" is not name:type:unit:period_type:period_unit`,
      );
    }
    const names = Object.keys(p.labels);
    if (!p.labels['service_name'])
      return reject(index, 'ERR_STORAGE_MISSING_SERVICE_NAME', 'the profile has no service_name label');
    if (names.length > this.limits.maxLabelsPerSeries) {
      return reject(
        index,
        'ERR_STORAGE_TOO_MANY_LABELS',
        `maxLabelsPerSeries is ${this.limits.maxLabelsPerSeries}, the series has ${names.length}`,
      );
    }
    for (const name of names) {
      if (name.length > this.limits.maxLabelNameLength) {
        return reject(
          index,
          'ERR_STORAGE_LABEL_NAME_TOO_LONG',
          `maxLabelNameLength is ${this.limits.maxLabelNameLength}, label "${name.slice(0, 40)}…" has ${name.length}`,
        );
      }
      if (!LABEL_NAME.test(name) || name.startsWith('__')) {
        return reject(
          index,
          'ERR_STORAGE_INVALID_LABEL_NAME',
          `label name "${name.slice(0, 80)}" is not [a-zA-Z_][a-zA-Z0-9_.]* (names starting with __ are reserved)`,
        );
      }
      const value = p.labels[name]!;
      if (value.length > this.limits.maxLabelValueLength) {
        return reject(
          index,
          'ERR_STORAGE_LABEL_VALUE_TOO_LONG',
          `maxLabelValueLength is ${this.limits.maxLabelValueLength}, label ${name} has ${value.length}`,
        );
      }
    }
    return null;
  }

  private async storeDictionaries(newSeries: { tenant: string; entry: SeriesEntry }[]): Promise<void> {
    const pending = [...this.tenants].map(([tenant, state]) => ({ tenant, ...state.dictionary.takeNew() }));
    if (newSeries.length === 0 && pending.every((p) => p.functions.length === 0 && p.stacks.length === 0)) return;
    await this.con.run('BEGIN TRANSACTION');
    try {
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
      await this.con.run('COMMIT');
    } catch (err) {
      await this.con.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async appendRows(level: number, partitionStartMs: number, list: SampleRow[]): Promise<void> {
    const p = await this.partition(level, partitionStartMs);
    await this.con.run('BEGIN TRANSACTION');
    try {
      await this.appendSamples(p, list);
      await this.con.run('COMMIT');
    } catch (err) {
      await this.con.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Appends sample rows to a partition, inside the caller's transaction. */
  private async appendSamples(p: Partition, rows: SampleRow[]): Promise<void> {
    const a = await this.con.createAppender('samples', 'main', p.alias);
    for (const r of rows) {
      a.appendVarchar(r.tenant);
      a.appendUBigInt(r.series);
      a.appendBigInt(BigInt(r.ts));
      a.appendBlob(r.data);
      a.endRow();
    }
    closeAppender(a);
  }

  // ---- partitions ----

  private async partition(level: number, startMs: number): Promise<Partition> {
    const alias = `p${level}_${startMs}`;
    return this.partitions.get(alias) ?? (await this.attach(level, startMs));
  }

  private async attach(level: number, startMs: number): Promise<Partition> {
    const alias = `p${level}_${startMs}`;
    const dir = join(this.options.dataDir, 'samples', String(level));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${startMs}.duckdb`);
    await this.con.run(`ATTACH '${path}' AS ${alias}`);
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
    this.partitions.set(alias, p);
    return p;
  }

  private partitionsOf(level: number): Partition[] {
    return [...this.partitions.values()].filter((p) => p.level === level).sort((a, b) => a.startMs - b.startMs);
  }

  /** Cells of `level` starting before this are summed from the level below (level 0: all). */
  private watermark(level: number): number {
    if (level === 0) return Infinity;
    let wm = this.emptyWatermarkMs[level]!;
    for (const p of this.partitionsOf(level)) wm = Math.max(wm, p.watermarkMs);
    return wm;
  }

  // ---- rollups ----

  async compact(): Promise<void> {
    if (this.closed || !this.useRollups) return;
    await this.exclusive(async () => {
      for (let level = 1; level < LEVELS.length; level++) await this.compactLevel(level);
    });
  }

  private async compactLevel(level: number): Promise<void> {
    const { widthMs, partitionMs } = LEVELS[level]!;
    const source = level - 1;
    const sourceDone = source === 0 ? floorTo(this.now() - COMPACT_LAG_MS, LEVELS[0]!.widthMs) : this.watermark(source);
    const end = floorTo(sourceDone, widthMs);
    let from = this.watermark(level);
    if (!Number.isFinite(from)) {
      const first = this.partitionsOf(source)[0];
      if (first === undefined) return;
      from = floorTo(first.startMs, widthMs);
    }
    const startedAt = from;
    while (from < end) {
      const partStart = floorTo(from, partitionMs);
      const to = Math.min(end, partStart + partitionMs);
      const sources = this.overlapping(source, from, to);
      if (sources.length === 0) {
        // Nothing to sum: move on without creating an empty partition file.
        this.emptyWatermarkMs[level] = to;
        from = to;
        continue;
      }
      const target = await this.partition(level, partStart);
      const summed = await this.sumCells(sources, from, to, widthMs);
      await this.con.run('BEGIN TRANSACTION');
      try {
        if (summed.length > 0) await this.appendSamples(target, summed);
        await this.con.run(`DELETE FROM ${target.alias}.rollup_state`);
        await this.con.run(`INSERT INTO ${target.alias}.rollup_state VALUES (${to})`);
        await this.con.run('COMMIT');
      } catch (err) {
        await this.con.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      target.watermarkMs = to;
      from = to;
    }
    if (from !== startedAt) {
      this.emptyWatermarkMs[level] = Math.max(this.emptyWatermarkMs[level]!, from);
      writeLevelTimes(join(this.options.dataDir, 'rollup.json'), this.emptyWatermarkMs);
    }
  }

  /** Reads the source rows in [from, to) and sums them into one row per (series, cell). */
  private async sumCells(sources: Partition[], from: number, to: number, widthMs: number): Promise<SampleRow[]> {
    const union = sources
      .map((p) => `SELECT tenant, series_id, ts, data FROM ${p.alias}.samples WHERE ts >= ${from} AND ts < ${to}`)
      .join(' UNION ALL ');
    const result = await this.con.runAndReadAll(union);
    const [tenants = [], series = [], times = [], blobs = []] = result.getColumns();
    const cells = new Map<string, { tenant: string; series: bigint; ts: number; sums: Map<number, number> }>();
    for (let i = 0; i < tenants.length; i++) {
      const ts = floorTo(Number(times[i]), widthMs);
      const key = `${tenants[i] as string}\u0000${series[i] as bigint}\u0000${ts}`;
      let cell = cells.get(key);
      if (cell === undefined) {
        cell = { tenant: tenants[i] as string, series: series[i] as bigint, ts, sums: new Map() };
        cells.set(key, cell);
      }
      const sums = cell.sums;
      decodeSamples((blobs[i] as DuckDBBlobValue).bytes, (stack, value) =>
        sums.set(stack, (sums.get(stack) ?? 0) + value),
      );
    }
    return [...cells.values()].map((c) => ({
      tenant: c.tenant,
      series: c.series,
      ts: c.ts,
      data: encodeSamples(Int32Array.from(c.sums.keys()), Float64Array.from(c.sums.values()), c.sums.size),
    }));
  }

  private overlapping(level: number, from: number, to: number): Partition[] {
    const size = LEVELS[level]!.partitionMs;
    return this.partitionsOf(level).filter((p) => p.startMs < to && p.startMs + size > from);
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
        for (const p of this.partitionsOf(level)) {
          const end = p.startMs + size;
          if (end > cutoff) continue;
          // Never drop data that a coarser level still keeping it has not summed yet.
          if (this.useRollups && !this.summedWhereKept(level, end, nowMs)) continue;
          await this.con.run(`DETACH ${p.alias}`);
          this.partitions.delete(p.alias);
          // Its rollup watermark leaves with it; keep the level's watermark from going back.
          this.emptyWatermarkMs[level] = Math.max(this.emptyWatermarkMs[level]!, p.watermarkMs);
          for (const file of [p.path, `${p.path}.wal`]) {
            if (existsSync(file)) {
              freedBytes += statSync(file).size;
              rmSync(file);
            }
          }
          deletedPartitions++;
          this.retainedFromMs[level] = Math.max(this.retainedFromMs[level]!, end);
        }
      }
      if (deletedPartitions > 0) {
        writeLevelTimes(join(this.options.dataDir, 'rollup.json'), this.emptyWatermarkMs);
        writeLevelTimes(join(this.options.dataDir, 'retention.json'), this.retainedFromMs);
      }
      return { deletedPartitions, freedBytes };
    });
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
      if (this.watermark(m) >= end) return true;
    }
    return !anyKeeps;
  }

  // ---- queries ----

  async selectMergeTree(query: SelectQuery): Promise<CallTree> {
    this.checkOpen();
    const state = this.tenants.get(query.tenant);
    if (!state) return emptyCallTree();
    const series = state.series.select(matchersOf(query.matchers), query.profileType);
    if (series.length === 0) return emptyCallTree();
    const cells = this.plan(query.startMs, query.endMs, LEVELS.length - 1);
    const inner = this.cellSelects(cells, query.tenant, series, 'data');
    if (inner === null) return emptyCallTree();
    const blobs = (await this.con.runAndReadAll(inner)).getColumns()[0] ?? [];
    // Sum per dense stack index, remembering which stacks were touched.
    const sums = new Float64Array(state.dictionary.stacks.size);
    const touched: number[] = [];
    for (const blob of blobs) {
      decodeSamples((blob as DuckDBBlobValue).bytes, (stack, value) => {
        if (sums[stack] === 0) touched.push(stack);
        sums[stack]! += value;
      });
    }
    const stacks = Int32Array.from(touched);
    const values = Float64Array.from(touched, (s) => sums[s]!);
    return state.dictionary.buildTree(stacks, values);
  }

  async selectSeries(query: SelectSeriesQuery): Promise<TimeSeries[]> {
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
    const inner = this.cellSelects(cells, query.tenant, series, 'series_id, ts, data');
    if (inner === null) return [];
    const result = await this.con.runAndReadAll(inner);
    const [rowIds = [], rowTimes = [], rowBlobs = []] = result.getColumns();
    // One point per (series, step): rows of the same series and step add up first.
    const perSeriesStep = new Map<string, { id: bigint; t: number; sum: number }>();
    for (let i = 0; i < rowIds.length; i++) {
      const t = floorTo(Number(rowTimes[i]), step);
      const key = `${rowIds[i] as bigint}:${t}`;
      const point = perSeriesStep.get(key) ?? { id: rowIds[i] as bigint, t, sum: 0 };
      point.sum += sumSamples((rowBlobs[i] as DuckDBBlobValue).bytes);
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
  }

  async series(query: LabelQuery): Promise<Labels[]> {
    return (await this.activeSeries(query)).map((s) => s.labels);
  }

  async labelNames(query: LabelQuery): Promise<string[]> {
    const names = new Set<string>();
    for (const s of await this.activeSeries(query)) for (const name of Object.keys(s.labels)) names.add(name);
    return [...names].sort();
  }

  async labelValues(query: LabelQuery & { name: string }): Promise<string[]> {
    const values = new Set<string>();
    for (const s of await this.activeSeries(query)) {
      const v = s.labels[query.name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  async profileTypes(query: { tenant: string; startMs: number; endMs: number }): Promise<string[]> {
    return [...new Set((await this.activeSeries(query)).map((s) => s.profileType))].sort();
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
      watermarkMs: LEVELS.map((_, l) => this.watermark(l)),
      retainedFromMs: this.retainedFromMs,
      maxLevel: this.useRollups ? maxLevel : 0,
    });
  }

  /** One SELECT per partition a cell range touches, UNION ALL'd; null when none exists. */
  private cellSelects(cells: CellRange[], tenant: string, series: SeriesEntry[], columns: string): string | null {
    const ids = series.map((s) => s.id.toString()).join(', ');
    const parts: string[] = [];
    for (const c of cells) {
      for (const p of this.overlapping(c.level, c.fromMs, c.toMs)) {
        parts.push(
          `SELECT ${columns} FROM ${p.alias}.samples WHERE tenant = ${sqlString(tenant)} AND ts >= ${c.fromMs} AND ts < ${c.toMs} AND series_id IN (${ids})`,
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
    await this.running;
    await this.lock.catch(() => undefined);
    await this.con.run('CHECKPOINT').catch(() => undefined);
    this.con.closeSync();
    this.instance.closeSync();
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

interface SampleRow {
  tenant: string;
  series: bigint;
  ts: number;
  /** encodeSamples() of the series' samples in the cell. */
  data: Uint8Array;
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

function reject(index: number, code: Parameters<typeof storageError>[0], message: string): RejectedProfile {
  const err = storageError(code, message);
  return { index, code, reason: String(err.details['reason']), message };
}

function closeAppender(a: DuckDBAppender): void {
  a.flushSync();
  a.closeSync();
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Per-level times in a small JSON file (null for none), replaced atomically by rename. */
function readLevelTimes(file: string): number[] {
  if (!existsSync(file)) return LEVELS.map(() => -Infinity);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { levels: (number | null)[] };
  return LEVELS.map((_, l) => saved.levels[l] ?? -Infinity);
}

function writeLevelTimes(file: string, times: readonly number[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ levels: times.map((t) => (Number.isFinite(t) ? t : null)) }) + '\n');
  renameSync(`${file}.tmp`, file);
}

function checkFormat(dir: string): void {
  const file = join(dir, 'FORMAT');
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ format: FORMAT_NAME, version: FORMAT_VERSION }) + '\n');
    return;
  }
  let found: { format?: string; version?: number } = {};
  try {
    found = JSON.parse(readFileSync(file, 'utf8')) as typeof found;
  } catch {
    // An unreadable FORMAT file is a mismatch like any other.
  }
  if (found.format !== FORMAT_NAME || found.version !== FORMAT_VERSION) {
    throw storageError(
      'ERR_STORAGE_FORMAT_VERSION',
      `${dir} holds ${found.format ?? 'unknown'} format version ${found.version ?? '?'}; this Kiln reads ${FORMAT_NAME} version ${FORMAT_VERSION}`,
    );
  }
}
