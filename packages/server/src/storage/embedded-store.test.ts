import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { isKilnError } from '@kiln/model';
import {
  ALLOC,
  assertRollupQueries,
  assertRollupSeries,
  CPU,
  cpuProfile,
  DAY0_MS,
  DAY_MS,
  expectedSeries,
  expectedTree,
  HOUR_MS,
  MINUTE_MS,
  OTHER_TENANT,
  rangeName,
  rollupDataset,
  runStoreConformance,
  assertSameSeries,
  snapshot,
  TENANT,
  withDataDir,
  writeAll,
  writeByDay,
} from './test-helpers/conformance.js';
import { openEmbeddedStore, type EmbeddedStoreOptions } from './embedded-store.js';
import { FORMAT_VERSION } from './schema.js';
import type { StorageLimits } from './limits.js';
import type { ProfileInput, ProfileStore, SelectQuery, SelectSeriesQuery } from './profile-store.js';
import { LEVELS, type RetentionPolicy } from './rollups.js';
import { makeSamples } from './test-helpers/stack-samples.js';

runStoreConformance('embedded', (dir) => openEmbeddedStore({ dataDir: dir }));

/** Opens with `options` on `dataDir` (no background compaction: tests call compact()) and always closes. */
async function withEmbedded(
  dataDir: string,
  options: Omit<EmbeddedStoreOptions, 'dataDir'>,
  fn: (store: ProfileStore) => Promise<void>,
): Promise<void> {
  const store = await openEmbeddedStore({ compactIntervalMs: 0, ...options, dataDir });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Bytes of every file under `dir`. */
function dirSizeBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? dirSizeBytes(path) : statSync(path).size;
  }
  return bytes;
}

describe('embedded store', () => {
  test('a data directory of format 4 is refused, not misread: its function ids were computed another way', async () => {
    await withDataDir(async (dataDir) => {
      writeFileSync(join(dataDir, 'FORMAT'), JSON.stringify({ format: 'kiln-embedded', version: 4 }) + '\n');
      await assert.rejects(openEmbeddedStore({ dataDir, compactIntervalMs: 0 }), (err: unknown) => {
        assert.ok(isKilnError(err, 'ERR_STORAGE_FORMAT_VERSION'), `got ${String(err)}`);
        assert.match(err.message, /format version 4; this Kiln reads kiln-embedded version 5$/);
        return true;
      });
    });
  });

  test('close() waits for the queries already reading; later ones get ERR_STORAGE_CLOSED', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEmbeddedStore({ dataDir, compactIntervalMs: 0 });
      // Three days: a 3-day query reads several partitions, one statement after another.
      for (let d = 0; d < 3; d++) {
        await writeAll(store, TENANT, [cpuProfile({ service_name: 'api' }, DAY0_MS + d * DAY_MS + HOUR_MS, 5)]);
      }
      const query: SelectQuery = {
        tenant: TENANT,
        profileType: CPU,
        matchers: [],
        startMs: DAY0_MS,
        endMs: DAY0_MS + 3 * DAY_MS,
      };
      const tree = store.selectMergeTree(query);
      const values = store.labelValues({ ...query, name: 'service_name' });
      const series = store.selectSeries({ ...query, stepMs: HOUR_MS, groupBy: [] });
      const closed = store.close(); // As a shutdown does, with the reads in flight.
      assert.equal((await tree).totalValue, 15);
      assert.deepEqual(await values, ['api']);
      assert.equal((await series).length, 1);
      await closed;
      await assert.rejects(store.selectMergeTree(query), (err) => isKilnError(err, 'ERR_STORAGE_CLOSED'));
    });
  });

  test('close() does not close DuckDB under a query that is still reading', async () => {
    await withDataDir(async (dataDir) => {
      const store = await openEmbeddedStore({ dataDir, compactIntervalMs: 0 });
      await writeAll(store, TENANT, [cpuProfile({ service_name: 'api' }, DAY0_MS + HOUR_MS, 5)]);
      // Hold every read statement at a gate, as a slow scan would be held inside DuckDB.
      let open = (): void => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const con = (store as unknown as { con: { runAndReadAll: (...args: unknown[]) => Promise<unknown> } }).con;
      const runAndReadAll = con.runAndReadAll.bind(con);
      con.runAndReadAll = async (...args) => {
        await gate;
        return runAndReadAll(...args);
      };
      const tree = store.selectMergeTree({
        tenant: TENANT,
        profileType: CPU,
        matchers: [],
        startMs: DAY0_MS,
        endMs: DAY0_MS + DAY_MS,
      });
      let closed = false;
      const closing = store.close().then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(closed, false, 'close() waits while the query reads');
      open();
      assert.equal((await tree).totalValue, 5);
      await closing;
    });
  });

  test('FORMAT holds the on-disk version; another version is refused with ERR_STORAGE_FORMAT_VERSION', async () => {
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, {}, async (store) => {
        await writeAll(store, TENANT, [cpuProfile({ service_name: 'api' }, DAY0_MS, 5)]);
      });
      const formatFile = join(dataDir, 'FORMAT');
      const written = readFileSync(formatFile, 'utf8');
      assert.deepEqual(JSON.parse(written), { format: 'kiln-embedded', version: FORMAT_VERSION });

      writeFileSync(formatFile, JSON.stringify({ format: 'kiln-embedded', version: 42 }));
      await assert.rejects(openEmbeddedStore({ dataDir, compactIntervalMs: 0 }), (err: unknown) => {
        assert.ok(isKilnError(err, 'ERR_STORAGE_FORMAT_VERSION'), `got ${String(err)}`);
        assert.match(err.message, /\b42\b/, 'names the version found');
        assert.match(err.message, new RegExp(`\\b${FORMAT_VERSION}\\b`), 'names the version this build reads');
        return true;
      });
      assert.equal(JSON.parse(readFileSync(formatFile, 'utf8')).version, 42, 'a refused open leaves FORMAT alone');

      // Nothing was lost by the refused open.
      writeFileSync(formatFile, written);
      await withEmbedded(dataDir, {}, async (store) => {
        const tree = await store.selectMergeTree({
          tenant: TENANT,
          profileType: CPU,
          startMs: DAY0_MS,
          endMs: DAY0_MS + DAY_MS,
        });
        assert.equal(tree.totalValue, 5);
      });
    });
  });

  describe('bad input is rejected per profile with a named reason; the rest of the batch is written', () => {
    const limits: StorageLimits = {
      maxLabelsPerSeries: 6,
      maxLabelNameLength: 20,
      maxLabelValueLength: 64,
      maxSeriesPerTenant: 10,
    };
    const t0 = DAY0_MS + HOUR_MS;
    const tooManyLabels = Object.fromEntries([
      ['service_name', 'api'],
      ...Array.from({ length: 8 }, (_, i) => [`l${i}`, 'x']),
    ]);
    const cases: { reason: string; code: string; bad: ProfileInput[]; limit?: number }[] = [
      {
        reason: 'too_many_labels',
        code: 'ERR_STORAGE_TOO_MANY_LABELS',
        bad: [cpuProfile(tooManyLabels, t0, 1_000)],
        limit: limits.maxLabelsPerSeries,
      },
      {
        reason: 'invalid_label_name',
        code: 'ERR_STORAGE_INVALID_LABEL_NAME',
        bad: ['bad-name', '0pod', 'has space', 'pöd'].map((name) =>
          cpuProfile({ service_name: 'api', [name]: 'x' }, t0, 1_000),
        ),
      },
      {
        reason: 'label_name_too_long',
        code: 'ERR_STORAGE_LABEL_NAME_TOO_LONG',
        bad: [cpuProfile({ service_name: 'api', ['n'.repeat(40)]: 'x' }, t0, 1_000)],
        limit: limits.maxLabelNameLength,
      },
      {
        reason: 'label_value_too_long',
        code: 'ERR_STORAGE_LABEL_VALUE_TOO_LONG',
        bad: [cpuProfile({ service_name: 'api', pod: 'v'.repeat(100) }, t0, 1_000)],
        limit: limits.maxLabelValueLength,
      },
      {
        reason: 'missing_service_name',
        code: 'ERR_STORAGE_MISSING_SERVICE_NAME',
        bad: [cpuProfile({ pod: 'a' }, t0, 1_000)],
      },
      {
        reason: 'invalid_profile_type',
        code: 'ERR_STORAGE_INVALID_PROFILE_TYPE',
        bad: ['process_cpu:cpu:nanoseconds', 'a:b:c:d:e:f', 'cpu'].map((profileType) => ({
          ...cpuProfile({ service_name: 'api' }, t0, 1_000),
          profileType,
        })),
      },
      {
        reason: 'invalid_samples',
        code: 'ERR_STORAGE_INVALID_SAMPLES',
        bad: [
          // A name past the names, a location past the locations, offsets past the end or going
          // back, values missing.
          { locationFrames: [1] },
          { stack: [0, 1], stackStart: [0, 2] },
          { stack: [2 ** 32 - 1] },
          { stackStart: [0, 3] },
          { locationStart: [0, 2] },
          { locationStart: [], stack: [], stackStart: [0, 0] },
          { length: 2, stackStart: [0, 1, 0], values: [1, 1] },
          { length: 2, stackStart: [0, 1, 1], values: [1] },
        ].map((broken) => ({
          labels: { service_name: 'api', pod: 'a' },
          profileType: CPU,
          timeMs: t0,
          samples: {
            names: ['main'],
            length: broken.length ?? 1,
            locationStart: Uint32Array.from(broken.locationStart ?? [0, 1]),
            locationFrames: Uint32Array.from(broken.locationFrames ?? [0]),
            stackStart: Uint32Array.from(broken.stackStart ?? [0, 1]),
            stack: Uint32Array.from(broken.stack ?? [0]),
            values: Float64Array.from(broken.values ?? [1]),
          },
        })),
      },
    ];

    for (const { reason, code, bad, limit } of cases) {
      test(reason, async () => {
        await withDataDir(async (dataDir) => {
          await withEmbedded(dataDir, { limits }, async (store) => {
            // A dot is a valid label name character (OpenTelemetry names: k8s.pod.name).
            const first = cpuProfile({ service_name: 'api', pod: 'a', 'k8s.node': 'n1' }, t0, 1);
            const last = cpuProfile({ service_name: 'api', pod: 'b' }, t0 + 10_000, 2);
            const result = await store.write(TENANT, [first, ...bad, last]);
            assert.equal(result.written, 2);
            assert.deepEqual(
              result.rejected.map((r) => ({ index: r.index, code: r.code, reason: r.reason })),
              bad.map((_, i) => ({ index: i + 1, code, reason })),
            );
            for (const r of result.rejected) {
              assert.ok(r.message.length > 0, 'has a message');
              if (limit !== undefined) assert.match(r.message, new RegExp(`\\b${limit}\\b`), 'names the limit');
            }

            const range = { tenant: TENANT, startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS };
            const tree = await store.selectMergeTree({ ...range, profileType: CPU });
            assert.deepEqual(tree.toFolded(), ['main;work 3'], 'the other profiles are written, the bad ones not');
            assert.deepEqual([...(await store.labelValues({ ...range, name: 'pod' }))].sort(), ['a', 'b']);
            assert.deepEqual([...(await store.labelNames(range))].sort(), [
              '__name__',
              '__profile_type__',
              'k8s.node',
              'pod',
              'service_name',
            ]);
            assert.deepEqual(await store.profileTypes(range), [CPU]);

            await writeAll(store, TENANT, [cpuProfile({ service_name: 'api', pod: 'c' }, t0 + 20_000, 4)]);
            assert.equal((await store.selectMergeTree({ ...range, profileType: CPU })).totalValue, 7, 'later writes');
          });
        });
      });
    }

    test('series_limit: new series past maxSeriesPerTenant are rejected; existing series and other tenants still write', async () => {
      await withDataDir(async (dataDir) => {
        await withEmbedded(dataDir, { limits: { ...limits, maxSeriesPerTenant: 3 } }, async (store) => {
          const pod = (name: string, value: number, timeMs = t0): ProfileInput =>
            cpuProfile({ service_name: 'api', pod: name }, timeMs, value);
          await writeAll(store, TENANT, [pod('a', 1), pod('b', 2), pod('c', 4)]);
          const result = await store.write(TENANT, [pod('d', 1_000), pod('a', 8, t0 + 10_000), pod('e', 1_000)]);
          assert.equal(result.written, 1);
          assert.deepEqual(
            result.rejected.map((r) => ({ index: r.index, code: r.code, reason: r.reason })),
            [0, 2].map((index) => ({ index, code: 'ERR_STORAGE_SERIES_LIMIT', reason: 'series_limit' })),
          );
          for (const r of result.rejected) assert.match(r.message, /\b3\b/, 'names the limit');

          await writeAll(store, OTHER_TENANT, [pod('d', 16), pod('e', 32), pod('f', 64)]);
          await writeAll(store, TENANT, [pod('c', 128, t0 + 20_000)]);

          const range = { startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS, profileType: CPU };
          assert.equal((await store.selectMergeTree({ tenant: TENANT, ...range })).totalValue, 1 + 2 + 4 + 8 + 128);
          assert.equal((await store.selectMergeTree({ tenant: OTHER_TENANT, ...range })).totalValue, 16 + 32 + 64);
          assert.deepEqual([...(await store.labelValues({ tenant: TENANT, name: 'pod', ...range }))].sort(), [
            'a',
            'b',
            'c',
          ]);
        });
      });
    });
  });

  test('a failed dictionary commit fails its writes and those interned behind it; retried, they are stored exactly', async () => {
    const t0 = DAY0_MS + HOUR_MS;
    const profile = (lines: [string, number][], timeMs: number): ProfileInput => ({
      labels: { service_name: 'api', pod: 'a' },
      profileType: CPU,
      timeMs,
      samples: makeSamples(lines),
    });
    const a = profile([['main;a', 1]], t0);
    const b = profile([['main;b;new_in_b', 2]], t0 + 10_000);
    // c uses b's new stack: interned while b's commit is in flight, it refers to memory that
    // the failure throws away.
    const c = profile(
      [
        ['main;b;new_in_b', 4],
        ['main;c', 8],
      ],
      t0 + 20_000,
    );
    const range = { tenant: TENANT, profileType: CPU, startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS };
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, {}, async (store) => {
        await writeAll(store, TENANT, [a]);
        const internals = store as unknown as { storeDictionaries: () => Promise<void> };
        const commit = internals.storeDictionaries.bind(store);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        internals.storeDictionaries = async () => {
          internals.storeDictionaries = commit;
          await gate;
          throw new Error('disk full');
        };
        const failing = store.write(TENANT, [b]);
        await new Promise((r) => setImmediate(r));
        const behind = store.write(TENANT, [c]);
        release();
        await assert.rejects(failing, /disk full/);
        await assert.rejects(behind, /disk full/);
        await writeAll(store, TENANT, [b]);
        await writeAll(store, TENANT, [c]);
        const expected = ['main;a 1', 'main;b;new_in_b 6', 'main;c 8'];
        assert.deepEqual((await store.selectMergeTree(range)).toFolded(), expected);
      });
      await withEmbedded(dataDir, {}, async (store) => {
        assert.deepEqual((await store.selectMergeTree(range)).toFolded(), [
          'main;a 1',
          'main;b;new_in_b 6',
          'main;c 8',
        ]);
      });
    });
  });

  test('rollups and raw 10 s buckets (useRollups: false) give the same answers on the same data', async () => {
    const inputs = rollupDataset();
    await withDataDir(async (dataDir) => {
      let withRollups: unknown;
      await withEmbedded(dataDir, {}, async (store) => {
        await writeByDay(store, TENANT, inputs);
        await store.compact();
        await assertRollupQueries(store, inputs, 'rollups');
        await assertRollupSeries(store, inputs, 'rollups');
        withRollups = await snapshot(store);
      });
      await withEmbedded(dataDir, { useRollups: false }, async (store) => {
        await assertRollupQueries(store, inputs, 'raw');
        await assertRollupSeries(store, inputs, 'raw');
        assert.deepEqual(await snapshot(store), withRollups);
      });
    });
  });

  test('late profiles count once in cells summed from one row or several, and compact() folds them to one row per cell', async () => {
    // Pod z uploads once: its rollup cells are summed from a single row (BELOW cells).
    const inputs = [...rollupDataset(), cpuProfile({ service_name: 'api', pod: 'z' }, DAY0_MS + 7 * HOUR_MS, 7)];
    const late: ProfileInput[] = [
      ...[5, 5, 17].map((second, i) =>
        cpuProfile(
          { service_name: 'api', pod: 'a' },
          DAY0_MS + 5 * HOUR_MS + MINUTE_MS + second * 1_000,
          100 + i,
          'late',
        ),
      ),
      cpuProfile({ service_name: 'api', pod: 'z' }, DAY0_MS + 7 * HOUR_MS + 20_000, 1_000, 'late'),
      cpuProfile({ service_name: 'api', pod: 'z' }, DAY0_MS + 7 * HOUR_MS + 5 * MINUTE_MS, 2_000, 'late'),
    ];
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, {}, async (store) => {
        await writeByDay(store, TENANT, inputs);
        await store.compact();
        for (const p of late) await writeAll(store, TENANT, [p]);
        await assertRollupQueries(store, [...inputs, ...late], 'late, before compact()');
        await store.compact();
        await assertRollupQueries(store, [...inputs, ...late], 'late, after compact()');
      });
      // Every rollup level holds one row per (series, cell) again.
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();
      try {
        for (let level = 1; level < LEVELS.length; level++) {
          for (const file of readdirSync(join(dataDir, 'samples', String(level)))) {
            if (!file.endsWith('.duckdb')) continue;
            await con.run(`ATTACH '${join(dataDir, 'samples', String(level), file)}' AS p (READ_ONLY)`);
            const repeated = await con.runAndReadAll(
              'SELECT series_id, ts, count(*) FROM p.samples GROUP BY ALL HAVING count(*) > 1',
            );
            assert.deepEqual(repeated.getRows(), [], `level ${level} ${file}`);
            await con.run('DETACH p');
          }
        }
      } finally {
        con.closeSync();
        db.closeSync();
      }
    });
  });

  test('rollup cells summed from memory are the cells summed from disk after a restart', async () => {
    // Store A compacts rows it wrote itself (RecentRows); store B restarts before compacting,
    // so it has the same rows only on disk. Every rollup row must come out the same.
    const inputs = rollupDataset();
    const rollupRows = async (dataDir: string): Promise<string[]> => {
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();
      const out: string[] = [];
      try {
        for (let level = 1; level < LEVELS.length; level++) {
          for (const file of readdirSync(join(dataDir, 'samples', String(level))).sort()) {
            if (!file.endsWith('.duckdb')) continue;
            await con.run(`ATTACH '${join(dataDir, 'samples', String(level), file)}' AS p (READ_ONLY)`);
            const rows = await con.runAndReadAll(
              'SELECT tenant, series_id, ts, hex(data) FROM p.samples ORDER BY tenant, series_id, ts, hex(data)',
            );
            for (const row of rows.getRows()) out.push(`${level} ${file} ${row.join(' ')}`);
            await con.run('DETACH p');
          }
        }
      } finally {
        con.closeSync();
        db.closeSync();
      }
      return out;
    };
    let fromMemory: string[] = [];
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, {}, async (store) => {
        await writeByDay(store, TENANT, inputs);
        await store.compact();
      });
      fromMemory = await rollupRows(dataDir);
    });
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, {}, (store) => writeByDay(store, TENANT, inputs));
      await withEmbedded(dataDir, {}, async (store) => {
        await store.compact();
        await assertRollupQueries(store, inputs, 'summed from disk');
      });
      assert.deepEqual(await rollupRows(dataDir), fromMemory);
    });
    const below = fromMemory.filter((r) => r.endsWith(' 08')).length;
    assert.ok(below > 0 && below < fromMemory.length, `${below} BELOW cells of ${fromMemory.length}`);
  });

  test("data on both sides of every level's partition boundaries counts once, with and without rollups", async () => {
    // One boundary per level, each a multiple of that level's partition length (one DuckDB file
    // per partition), all long past so that compact() rolls everything up to the daily level.
    const boundaries = LEVELS.map(
      (l) => Math.ceil((Date.UTC(2025, 6, 1) + l.partitionMs * 0.5) / l.partitionMs) * l.partitionMs,
    );
    const inputs: ProfileInput[] = [];
    boundaries.forEach((b, level) => {
      for (const offsetMs of [-MINUTE_MS, -10_000, -1, 0, 1, 10_000, 59_999, HOUR_MS]) {
        const leaf = `level_${level}_at_${offsetMs}`;
        inputs.push(cpuProfile({ service_name: 'api', pod: `p${level}` }, b + offsetMs, 1 + inputs.length, leaf));
      }
    });
    const ranges: [number, number][] = [[Math.min(...boundaries) - DAY_MS, Math.max(...boundaries) + DAY_MS]];
    for (const b of boundaries) {
      ranges.push(
        [b - 10_000, b + 10_000],
        [b, b + DAY_MS],
        [b - DAY_MS, b],
        [b - HOUR_MS, b + HOUR_MS],
        [b - 30_000, b + HOUR_MS + 30_000],
        [b - 7 * DAY_MS, b + 7 * DAY_MS],
      );
    }
    const check = async (store: ProfileStore, when: string): Promise<void> => {
      for (const [startMs, endMs] of ranges) {
        const q: SelectQuery = { tenant: TENANT, profileType: CPU, startMs, endMs };
        const tree = await store.selectMergeTree(q);
        assert.deepEqual(tree.toFolded(), expectedTree(inputs, q).toFolded(), `${when}: [${startMs}, ${endMs})`);
      }
      for (const stepMs of [HOUR_MS, DAY_MS]) {
        const [startMs, endMs] = ranges[0]!;
        const q: SelectSeriesQuery = {
          tenant: TENANT,
          profileType: CPU,
          startMs: Math.floor(startMs / stepMs) * stepMs,
          endMs,
          stepMs,
          groupBy: ['pod'],
        };
        assertSameSeries(await store.selectSeries(q), expectedSeries(inputs, q), `${when}: step ${stepMs} ms`);
      }
    };
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, {}, async (store) => {
        await writeAll(store, TENANT, inputs);
        await check(store, 'before compact()');
        await store.compact();
        await check(store, 'after compact()');
      });
      await withEmbedded(dataDir, { useRollups: false }, async (store) => {
        await check(store, 'raw');
      });
    });
  });

  test('after raw and 1 min data pass their retention, queries aligned to 10 min are still exact', async () => {
    const inputs = rollupDataset();
    const [raw, minute, tenMinutes] = LEVELS;
    assert.equal(tenMinutes?.widthMs, 10 * MINUTE_MS, 'test precondition: level 2 is 10 min');
    const retention: RetentionPolicy = { retentionMs: [DAY_MS, 2 * DAY_MS, 90 * DAY_MS, 400 * DAY_MS, 0] };
    // Late enough that every raw and 1 min partition holding the data ends before now minus
    // its retention, early enough that the 10 min data is well inside its 90 days.
    const nowMs = DAY0_MS + 3 * DAY_MS + Math.max(raw!.partitionMs, minute!.partitionMs) + 2 * DAY_MS + DAY_MS;
    // The store's clock runs to nowMs before compacting, as if it had been up all along: a
    // partition is only dropped once the next level has summed up to its end.
    let clockMs = DAY0_MS + 3 * DAY_MS;
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, { retention, now: () => clockMs }, async (store) => {
        await writeByDay(store, TENANT, inputs);
        clockMs = nowMs;
        await store.compact();
        const result = await store.applyRetention(nowMs);
        assert.ok(result.deletedPartitions >= 4, `deleted ${result.deletedPartitions} partitions (3 raw days, 1 min)`);
        const ranges: [number, number][] = [
          [DAY0_MS, DAY0_MS + 3 * DAY_MS],
          [DAY0_MS + 5 * HOUR_MS, DAY0_MS + 6 * HOUR_MS],
          [DAY0_MS + 12 * HOUR_MS + 50 * MINUTE_MS, DAY0_MS + DAY_MS + 13 * HOUR_MS + 50 * MINUTE_MS],
          [DAY0_MS + DAY_MS - 10 * MINUTE_MS, DAY0_MS + DAY_MS + 10 * MINUTE_MS],
          [DAY0_MS + 2 * HOUR_MS, DAY0_MS + 3 * HOUR_MS],
        ];
        for (const [startMs, endMs] of ranges) {
          for (const profileType of [CPU, ALLOC]) {
            const q: SelectQuery = { tenant: TENANT, profileType, startMs, endMs };
            const tree = await store.selectMergeTree(q);
            assert.deepEqual(tree.toFolded(), expectedTree(inputs, q).toFolded(), `${profileType} ${rangeName(q)}`);
          }
        }
        const perTenMinutes: SelectSeriesQuery = {
          tenant: TENANT,
          profileType: CPU,
          startMs: DAY0_MS,
          endMs: DAY0_MS + 3 * DAY_MS,
          stepMs: 10 * MINUTE_MS,
          groupBy: ['pod'],
        };
        assertSameSeries(
          await store.selectSeries(perTenMinutes),
          expectedSeries(inputs, perTenMinutes),
          '10 min steps',
        );
      });
    });
  });

  test('with a finite retention on every level, applyRetention deletes the data and the data directory shrinks', async () => {
    const inputs = rollupDataset();
    const retention: RetentionPolicy = { retentionMs: [DAY_MS, 2 * DAY_MS, 3 * DAY_MS, 4 * DAY_MS, 5 * DAY_MS] };
    const longestPartitionMs = Math.max(...LEVELS.map((l) => l.partitionMs));
    const nowMs = DAY0_MS + 3 * DAY_MS + longestPartitionMs + 10 * DAY_MS;
    let clockMs = DAY0_MS + 3 * DAY_MS;
    await withDataDir(async (dataDir) => {
      await withEmbedded(dataDir, { retention, now: () => clockMs }, async (store) => {
        await writeByDay(store, TENANT, inputs);
        clockMs = nowMs;
        await store.compact();
        const beforeBytes = dirSizeBytes(dataDir);
        const result = await store.applyRetention(nowMs);
        const afterBytes = dirSizeBytes(dataDir);
        assert.ok(result.deletedPartitions >= 3 + LEVELS.length - 1, `deleted ${result.deletedPartitions} partitions`);
        assert.ok(result.freedBytes > 0, `freedBytes ${result.freedBytes}`);
        assert.ok(afterBytes < beforeBytes, `data dir ${beforeBytes} -> ${afterBytes} bytes`);

        const range = { tenant: TENANT, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS };
        assert.equal((await store.selectMergeTree({ ...range, profileType: CPU })).totalValue, 0, 'CPU data gone');
        assert.equal((await store.selectMergeTree({ ...range, profileType: ALLOC })).totalValue, 0, 'ALLOC data gone');
        assert.deepEqual(await store.selectSeries({ ...range, profileType: CPU, stepMs: DAY_MS }), []);
        assert.deepEqual(await store.profileTypes(range), [], 'no profile type without data');
        assert.deepEqual(await store.series(range), [], 'no series without data');

        await writeAll(store, TENANT, [cpuProfile({ service_name: 'api' }, nowMs - MINUTE_MS, 3)]);
        const recent = { tenant: TENANT, profileType: CPU, startMs: nowMs - HOUR_MS, endMs: nowMs };
        assert.equal((await store.selectMergeTree(recent)).totalValue, 3, 'writes after retention');
      });
    });
  });
});
