import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePprof } from '@kiln/formats';
import {
  buildCallTree,
  buildStackSamples,
  CallTreeBuilder,
  mergeCallTrees,
  selectTopFunctions,
  type CallTree,
} from '@kiln/model';
import type {
  Labels,
  Matcher,
  ProfileInput,
  ProfileStore,
  SelectQuery,
  SelectSeriesQuery,
  TimeSeries,
} from '../profile-store.js';
import { makeSamples, treeOfInput } from './stack-samples.js';

/**
 * The cases every ProfileStore backend passes. Each case opens the backend on a fresh temp
 * directory through `open`, and only talks to it through the ProfileStore interface, so the
 * ClickHouse store can call this too. Expected answers are computed from the written inputs
 * with the model's own merge, never from another store.
 *
 * Bucket contract assumed throughout: a profile at `timeMs` counts in the 10 s bucket
 * `floor(timeMs / 10_000) * 10_000`, and a range [startMs, endMs) holds the buckets that start
 * in it. Every range below starts and ends on a 10 s boundary, where this agrees with filtering
 * the inputs by `startMs <= timeMs < endMs`.
 */
export function runStoreConformance(name: string, open: (dataDir: string) => Promise<ProfileStore>): void {
  describe(`${name} store conformance`, () => {
    describe('real fixtures', () => {
      for (const form of ['stack samples', 'call trees'] as const) {
        test(`every fixture sample type written as ${form} reads back with the exact self and total per function`, async () => {
          const inputs = fixtureInputs(DAY0_MS + HOUR_MS + 4_321, form === 'call trees' ? 'tree' : 'samples');
          await withStore(open, async (store) => {
            await writeAll(store, TENANT, inputs);
            for (const input of inputs) {
              const tree = await store.selectMergeTree(query(input.profileType, DAY0_MS, DAY0_MS + 2 * HOUR_MS));
              const expected = treeOfInput(input);
              assert.equal(tree.totalValue, expected.totalValue, `total of ${input.profileType}`);
              assert.deepEqual(selectTopFunctions(tree), selectTopFunctions(expected), `top of ${input.profileType}`);
              assert.deepEqual(tree.toFolded(), expected.toFolded(), `stacks of ${input.profileType}`);
            }
            const types = await store.profileTypes({ tenant: TENANT, startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS });
            assert.deepEqual([...types].sort(), inputs.map((i) => i.profileType).sort());
          });
        });
      }

      test('a fixture written as stack samples reads back as its buildCallTree, mixed with the same as a tree', async () => {
        const samples = fixtureInputs(DAY0_MS + HOUR_MS, 'samples');
        const trees = fixtureInputs(DAY0_MS + HOUR_MS + 10 * SECOND_MS, 'tree');
        await withStore(open, async (store) => {
          await writeAll(store, TENANT, [...samples, ...trees]);
          for (const [i, input] of trees.entries()) {
            const q = query(input.profileType, DAY0_MS, DAY0_MS + 2 * HOUR_MS);
            const both = await store.selectMergeTree(q);
            assert.deepEqual(both.toFolded(), mergeCallTrees([input.tree!, input.tree!]).toFolded(), input.profileType);
            const first = await store.selectMergeTree({ ...q, endMs: DAY0_MS + HOUR_MS + 10 * SECOND_MS });
            assert.deepEqual(first.toFolded(), input.tree!.toFolded(), `${samples[i]!.profileType} from samples`);
          }
        });
      });

      test('the same profile at 3 times counts 3 times, and once in a range holding one of them', async () => {
        const cpu = fixtureInputs(0, 'samples').find((i) => i.profileType === CPU)!;
        const cpuTree = treeOfInput(cpu);
        const times = [DAY0_MS + HOUR_MS, DAY0_MS + HOUR_MS + MINUTE_MS, DAY0_MS + 2 * HOUR_MS + 5_000];
        await withStore(open, async (store) => {
          for (const timeMs of times) await writeAll(store, TENANT, [{ ...cpu, timeMs }]);
          const all = await store.selectMergeTree(query(CPU, DAY0_MS, DAY0_MS + DAY_MS));
          const thrice = selectTopFunctions(cpuTree).map((f) => ({ ...f, self: 3 * f.self, total: 3 * f.total }));
          assert.deepEqual(selectTopFunctions(all), thrice);
          const middle = await store.selectMergeTree(query(CPU, times[1]!, times[1]! + 10 * SECOND_MS));
          assert.deepEqual(selectTopFunctions(middle), selectTopFunctions(cpuTree));
          const last = await store.selectMergeTree(query(CPU, DAY0_MS + 2 * HOUR_MS, DAY0_MS + 3 * HOUR_MS));
          assert.deepEqual(last.toFolded(), cpuTree.toFolded());
        });
      });
    });

    describe('rollups', () => {
      test('merged trees over 10 s to 3 day ranges equal the merge of the inputs, before and after compact()', async () => {
        const inputs = rollupDataset();
        await withStore(open, async (store) => {
          await writeByDay(store, TENANT, inputs);
          await assertRollupQueries(store, inputs, 'before compact()');
          await store.compact();
          await assertRollupQueries(store, inputs, 'after compact()');
          await store.compact();
          await assertRollupQueries(store, inputs, 'after a second compact()');
        });
      });

      test('a late write into a compacted period counts once, before and after the next compact()', async () => {
        const inputs = rollupDataset();
        await withStore(open, async (store) => {
          await writeByDay(store, TENANT, inputs);
          await store.compact();
          const late: ProfileInput = {
            labels: { service_name: 'api', pod: 'a' },
            profileType: CPU,
            timeMs: DAY0_MS + 5 * HOUR_MS + MINUTE_MS + 20 * SECOND_MS,
            tree: makeTree([['main;late_upload', 1_000]]),
          };
          await writeAll(store, TENANT, [late]);
          const all = [...inputs, late];
          await assertRollupQueries(store, all, 'late write, before compact()');
          await store.compact();
          await assertRollupQueries(store, all, 'late write, after compact()');
        });
      });

      test('selectSeries over 3 days with 1 min, 1 h and 1 d steps equals the inputs, after compact()', async () => {
        const inputs = rollupDataset();
        await withStore(open, async (store) => {
          await writeByDay(store, TENANT, inputs);
          await store.compact();
          await assertRollupSeries(store, inputs, 'after compact()');
        });
      });
    });

    describe('matchers', () => {
      test('=, !=, =~ and !~ select series as Prometheus does, on every query', async (t) => {
        const inputs = matcherDataset();
        await withStore(open, async (store) => {
          await writeAll(store, TENANT, inputs);
          for (const [caseName, matchers] of MATCHER_CASES) {
            await t.test(caseName, async () => {
              const range = { startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS };
              const selected = await store.selectMergeTree({ tenant: TENANT, profileType: CPU, matchers, ...range });
              assert.deepEqual(
                selected.toFolded(),
                expectedTree(inputs, { tenant: TENANT, profileType: CPU, matchers, ...range }).toFolded(),
                'selectMergeTree',
              );
              const series = await store.series({ tenant: TENANT, matchers, ...range });
              assert.deepEqual(sortLabelSets(series), expectedLabelSets(inputs, matchers, range), 'series()');
              const pods = await store.labelValues({ tenant: TENANT, matchers, name: 'pod', ...range });
              assert.deepEqual(
                [...pods].sort(),
                expectedLabelValues(inputs, 'pod', matchers, range),
                'labelValues(pod)',
              );
              const points = await store.selectSeries({
                tenant: TENANT,
                profileType: CPU,
                matchers,
                stepMs: HOUR_MS,
                ...range,
              });
              assertSameSeries(
                points,
                expectedSeries(inputs, { tenant: TENANT, profileType: CPU, matchers, stepMs: HOUR_MS, ...range }),
                'selectSeries',
              );
            });
          }
        });
      });
    });

    test('profileTypes() lists the types with data in the half-open range, per tenant', async () => {
      const goroutine = 'goroutine:goroutine:count:goroutine:count';
      const block = 'block:contentions:count:contentions:count';
      const labels = { service_name: 'api', pod: 'a' };
      await withStore(open, async (store) => {
        await writeAll(store, TENANT, [
          cpuProfile(labels, DAY0_MS + HOUR_MS, 1),
          { ...cpuProfile(labels, DAY0_MS + 3 * HOUR_MS, 2), profileType: ALLOC },
          { ...cpuProfile(labels, DAY0_MS + DAY_MS + HOUR_MS, 3), profileType: goroutine },
        ]);
        await writeAll(store, OTHER_TENANT, [{ ...cpuProfile(labels, DAY0_MS + HOUR_MS, 4), profileType: block }]);
        const types = async (tenant: string, startMs: number, endMs: number): Promise<string[]> =>
          [...(await store.profileTypes({ tenant, startMs, endMs }))].sort();
        assert.deepEqual(await types(TENANT, DAY0_MS, DAY0_MS + 3 * DAY_MS), [goroutine, ALLOC, CPU].sort());
        assert.deepEqual(await types(TENANT, DAY0_MS, DAY0_MS + 2 * HOUR_MS), [CPU]);
        assert.deepEqual(await types(TENANT, DAY0_MS + HOUR_MS + 10 * SECOND_MS, DAY0_MS + 3 * HOUR_MS), [], 'edges');
        assert.deepEqual(await types(TENANT, DAY0_MS + 3 * HOUR_MS, DAY0_MS + 3 * HOUR_MS + 10 * SECOND_MS), [ALLOC]);
        assert.deepEqual(await types(TENANT, DAY0_MS + 2 * DAY_MS, DAY0_MS + 3 * DAY_MS), []);
        assert.deepEqual(await types(OTHER_TENANT, DAY0_MS, DAY0_MS + 3 * DAY_MS), [block]);
        assert.deepEqual(await types('nobody', DAY0_MS, DAY0_MS + 3 * DAY_MS), []);
      });
    });

    test('labelNames() and labelValues() with and without matchers, range-limited', async () => {
      await withStore(open, async (store) => {
        await writeAll(store, TENANT, [
          cpuProfile({ service_name: 'api', pod: 'a', region: 'eu' }, DAY0_MS + HOUR_MS, 1),
          cpuProfile({ service_name: 'web', pod: 'b', version: '1.2' }, DAY0_MS + 2 * HOUR_MS, 2),
          { ...cpuProfile({ service_name: 'web', pod: 'c' }, DAY0_MS + 2 * HOUR_MS, 3), profileType: ALLOC },
        ]);
        const day = { tenant: TENANT, startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS };
        const firstHour = { ...day, endMs: DAY0_MS + 2 * HOUR_MS };
        const names = async (q: Parameters<ProfileStore['labelNames']>[0]): Promise<string[]> =>
          [...(await store.labelNames(q))].sort();
        const values = async (q: Parameters<ProfileStore['labelValues']>[0]): Promise<string[]> =>
          [...(await store.labelValues(q))].sort();
        const common = ['__name__', '__profile_type__', 'pod', 'service_name'];
        assert.deepEqual(await names(day), [...common, 'region', 'version'].sort());
        assert.deepEqual(await names(firstHour), [...common, 'region'].sort());
        assert.deepEqual(await names({ ...day, matchers: [{ name: 'service_name', op: '=', value: 'web' }] }), [
          ...common,
          'version',
        ]);
        assert.deepEqual(await names({ ...day, startMs: DAY0_MS + DAY_MS, endMs: DAY0_MS + 2 * DAY_MS }), []);
        assert.deepEqual(await values({ ...day, name: 'pod' }), ['a', 'b', 'c']);
        assert.deepEqual(await values({ ...firstHour, name: 'pod' }), ['a']);
        assert.deepEqual(
          await values({ ...day, name: 'pod', matchers: [{ name: 'service_name', op: '=', value: 'web' }] }),
          ['b', 'c'],
        );
        assert.deepEqual(
          await values({ ...day, name: 'pod', matchers: [{ name: '__profile_type__', op: '=', value: ALLOC }] }),
          ['c'],
        );
        assert.deepEqual(await values({ ...day, name: 'region' }), ['eu'], 'a missing label has no "" value');
        assert.deepEqual(await values({ ...day, name: 'service_name' }), ['api', 'web']);
        assert.deepEqual(await values({ ...day, name: '__profile_type__' }), [ALLOC, CPU].sort());
        assert.deepEqual(await values({ ...day, name: '__name__' }), ['memory', 'process_cpu']);
        assert.deepEqual(await values({ ...day, name: 'no_such_label' }), []);
      });
    });

    test('series() lists full label sets, with __name__ and __profile_type__, range-limited', async () => {
      const inputs = matcherDataset();
      await withStore(open, async (store) => {
        await writeAll(store, TENANT, inputs);
        const day = { startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS };
        assert.deepEqual(
          sortLabelSets(await store.series({ tenant: TENANT, ...day })),
          expectedLabelSets(inputs, [], day),
        );
        const allocOnly: Matcher[] = [{ name: '__profile_type__', op: '=', value: ALLOC }];
        assert.deepEqual(sortLabelSets(await store.series({ tenant: TENANT, matchers: allocOnly, ...day })), [
          { __name__: 'memory', __profile_type__: ALLOC, pod: 'a', region: 'eu', service_name: 'api' },
        ]);
        const later = { startMs: DAY0_MS + DAY_MS, endMs: DAY0_MS + 2 * DAY_MS };
        assert.deepEqual(await store.series({ tenant: TENANT, ...later }), []);
      });
    });

    test('selectSeries: 10 s, 60 s and 1 h steps, groupBy, sum and avg', async () => {
      const inputs = seriesDataset();
      const start = SERIES_HOUR_MS;
      await withStore(open, async (store) => {
        await writeAll(store, TENANT, inputs);
        const base = { tenant: TENANT, profileType: CPU, startMs: start, endMs: start + 3 * HOUR_MS };
        const cases: SelectSeriesQuery[] = [
          { ...base, stepMs: 10 * SECOND_MS },
          { ...base, stepMs: 10 * SECOND_MS, groupBy: ['pod'] },
          { ...base, stepMs: MINUTE_MS, groupBy: ['pod'] },
          { ...base, stepMs: MINUTE_MS, groupBy: ['service_name'], aggregation: 'avg' },
          { ...base, stepMs: MINUTE_MS, matchers: [{ name: 'pod', op: '!=', value: 'b' }] },
          { ...base, stepMs: HOUR_MS, groupBy: ['service_name'] },
          { ...base, stepMs: HOUR_MS, groupBy: ['service_name'], aggregation: 'avg' },
          { ...base, stepMs: HOUR_MS, aggregation: 'avg' },
          { ...base, stepMs: HOUR_MS, groupBy: ['service_name', 'pod'] },
          { ...base, profileType: ALLOC, stepMs: MINUTE_MS },
        ];
        for (const q of cases) {
          const actual = await store.selectSeries(q);
          const what = describeSeriesQuery(q);
          for (const s of actual) {
            for (let i = 1; i < s.points.length; i++) {
              assert.ok(
                s.points[i - 1]![0] < s.points[i]![0],
                `${what}: points ascending in ${JSON.stringify(s.labels)}`,
              );
            }
            for (const [, v] of s.points) assert.notEqual(v, 0, `${what}: steps without data are omitted`);
          }
          assertSameSeries(actual, expectedSeries(inputs, q), what);
        }

        // Hand-computed, so the reference above is not the only judge (see seriesDataset).
        const sum = await store.selectSeries({ ...base, stepMs: HOUR_MS });
        assert.deepEqual(sum, [
          {
            labels: {},
            points: [
              [start, 207],
              [start + HOUR_MS, 52],
              [start + 2 * HOUR_MS, 100],
            ],
          },
        ]);
        // avg: per step, the sum over the step divided by the number of series with data in it
        // (S1+S2, then S2+S3, then S3 alone), not by the number of profiles or of 10 s buckets.
        const avg = await store.selectSeries({ ...base, stepMs: HOUR_MS, aggregation: 'avg' });
        assert.deepEqual(avg, [
          {
            labels: {},
            points: [
              [start, 103.5],
              [start + HOUR_MS, 26],
              [start + 2 * HOUR_MS, 100],
            ],
          },
        ]);
        const fine = await store.selectSeries({ ...base, stepMs: 10 * SECOND_MS });
        const total = fine.flatMap((s) => s.points).reduce((acc, [, v]) => acc + v, 0);
        assert.equal(total, 359, 'the points add up to the inputs');
        const byPod = await store.selectSeries({ ...base, stepMs: HOUR_MS, groupBy: ['pod'] });
        assert.deepEqual(
          sortSeries(byPod).map((s) => s.labels),
          [{ pod: 'a' }, { pod: 'b' }, { pod: 'c' }],
        );
      });
    });

    test('selectSeries counts only data inside [startMs, endMs) when the range is not step-aligned', async () => {
      const inputs = seriesDataset();
      const h = SERIES_HOUR_MS;
      await withStore(open, async (store) => {
        await writeAll(store, TENANT, inputs);
        // Whether steps start at startMs or at multiples of stepMs is left to the backend; each
        // point must hold exactly the data of its step that lies inside the range.
        const q: SelectSeriesQuery = {
          tenant: TENANT,
          profileType: CPU,
          startMs: h + 2 * MINUTE_MS + 30 * SECOND_MS,
          endMs: h + HOUR_MS + MINUTE_MS,
          stepMs: HOUR_MS,
        };
        const result = await store.selectSeries(q);
        assert.equal(result.length, 1, 'one series');
        const points = result[0]!.points;
        for (const [t, value] of points) {
          const from = Math.max(t, q.startMs);
          const to = Math.min(t + q.stepMs, q.endMs);
          const want = selected(inputs, q)
            .filter((p) => p.timeMs >= from && p.timeMs < to)
            .reduce((acc, p) => acc + treeOfInput(p).totalValue, 0);
          assert.equal(value, want, `step at ${rangeName({ startMs: t, endMs: t + q.stepMs })}`);
        }
        // S1 from +2 min 30 s: 37; S2 from then: 99, and 7 at +1 h 30 s; S3 in its first minute: 15.
        const total = points.reduce((acc, [, v]) => acc + v, 0);
        assert.equal(total, 37 + 99 + 7 + 15, `points ${JSON.stringify(points)}`);
      });
    });

    describe('retention', () => {
      test('applyRetention before compact() loses nothing that a kept resolution still needs', async () => {
        const inputs = rollupDataset();
        await withStore(open, async (store) => {
          await writeByDay(store, TENANT, inputs);
          // Far enough that only the daily resolution (kept forever by default) may hold the
          // data: whatever is dropped must have been summed into it first.
          await store.applyRetention(DAY0_MS + 5_000 * DAY_MS);
          await store.compact();
          for (const profileType of [CPU, ALLOC]) {
            const q = { tenant: TENANT, profileType, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS };
            const tree = await store.selectMergeTree(q);
            assert.deepEqual(tree.toFolded(), expectedTree(inputs, q).toFolded(), `${profileType} ${rangeName(q)}`);
          }
        });
      });

      test('applyRetention just after the data deletes nothing: 10 s queries stay exact', async () => {
        const inputs = rollupDataset();
        await withStore(open, async (store) => {
          await writeByDay(store, TENANT, inputs);
          await store.compact();
          await store.applyRetention(DAY0_MS + 3 * DAY_MS + MINUTE_MS);
          await assertRollupQueries(store, inputs, 'after applyRetention(just after the data)');
        });
      });

      test('applyRetention far in the future keeps day-aligned totals (the default keeps daily rollups forever)', async () => {
        const inputs = rollupDataset();
        await withStore(open, async (store) => {
          await writeByDay(store, TENANT, inputs);
          await store.compact();
          await store.applyRetention(DAY0_MS + 5_000 * DAY_MS);
          for (const profileType of [CPU, ALLOC]) {
            for (const [startMs, endMs] of [
              [DAY0_MS, DAY0_MS + 3 * DAY_MS],
              [DAY0_MS + DAY_MS, DAY0_MS + 2 * DAY_MS],
            ] as const) {
              const q = { tenant: TENANT, profileType, startMs, endMs };
              const tree = await store.selectMergeTree(q);
              assert.deepEqual(tree.toFolded(), expectedTree(inputs, q).toFolded(), `${profileType} ${rangeName(q)}`);
              const daily = { ...q, stepMs: DAY_MS, groupBy: ['pod'] };
              assertSameSeries(
                await store.selectSeries(daily),
                expectedSeries(inputs, daily),
                describeSeriesQuery(daily),
              );
            }
          }
          const types = await store.profileTypes({ tenant: TENANT, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS });
          assert.deepEqual([...types].sort(), [ALLOC, CPU].sort());
          const later = cpuProfile({ service_name: 'api', pod: 'z' }, DAY0_MS + 3 * DAY_MS, 5);
          await writeAll(store, TENANT, [later]);
          const q = { tenant: TENANT, profileType: CPU, startMs: DAY0_MS + 3 * DAY_MS, endMs: DAY0_MS + 4 * DAY_MS };
          assert.equal((await store.selectMergeTree(q)).totalValue, 5, 'writes after retention');
        });
      });
    });

    test('close() and reopen keep everything: same answers to every query', async () => {
      const inputs = rollupDataset();
      const lastDay = DAY0_MS + 2 * DAY_MS;
      await withDataDir(async (dataDir) => {
        let before: unknown;
        const first = await open(dataDir);
        try {
          await writeByDay(
            first,
            TENANT,
            inputs.filter((p) => p.timeMs < lastDay),
          );
          await first.compact();
          // The last day stays uncompacted: both raw and rolled-up data must survive.
          await writeAll(
            first,
            TENANT,
            inputs.filter((p) => p.timeMs >= lastDay),
          );
          await writeAll(first, OTHER_TENANT, [cpuProfile({ service_name: 'other' }, DAY0_MS, 9)]);
          before = await snapshot(first);
          await assertRollupQueries(first, inputs, 'before close()');
        } finally {
          await first.close();
        }
        const second = await open(dataDir);
        try {
          assert.deepEqual(await snapshot(second), before);
          await assertRollupQueries(second, inputs, 'after reopening');
          await writeAll(second, TENANT, [cpuProfile({ service_name: 'api', pod: 'new' }, lastDay + HOUR_MS, 11)]);
          const q = { tenant: TENANT, profileType: CPU, startMs: lastDay + HOUR_MS, endMs: lastDay + 2 * HOUR_MS };
          assert.equal((await second.selectMergeTree(q)).totalValue, 11, 'writes after reopening');
        } finally {
          await second.close();
        }
      });
    });

    test('tenants are isolated: same labels, separate totals, series, labels and profile types', async () => {
      const labels = { service_name: 'api', pod: 'a' };
      await withStore(open, async (store) => {
        await writeAll(store, TENANT, [
          cpuProfile(labels, DAY0_MS + HOUR_MS, 3, 'acme_work'),
          cpuProfile({ ...labels, only_acme: 'yes' }, DAY0_MS + HOUR_MS, 4, 'acme_work'),
        ]);
        await writeAll(store, OTHER_TENANT, [
          cpuProfile(labels, DAY0_MS + HOUR_MS, 50, 'other_work'),
          { ...cpuProfile(labels, DAY0_MS + HOUR_MS, 60, 'other_alloc'), profileType: ALLOC },
        ]);
        const range = { startMs: DAY0_MS, endMs: DAY0_MS + DAY_MS };
        const acme = await store.selectMergeTree({ tenant: TENANT, profileType: CPU, ...range });
        assert.deepEqual(acme.toFolded(), ['main;acme_work 7']);
        const other = await store.selectMergeTree({ tenant: OTHER_TENANT, profileType: CPU, ...range });
        assert.deepEqual(other.toFolded(), ['main;other_work 50']);
        const none = await store.selectMergeTree({ tenant: TENANT, profileType: ALLOC, ...range });
        assert.equal(none.totalValue, 0, 'ALLOC of the other tenant');
        assert.equal((await store.selectMergeTree({ tenant: 'nobody', profileType: CPU, ...range })).totalValue, 0);

        const acmeSeries = await store.selectSeries({ tenant: TENANT, profileType: CPU, stepMs: HOUR_MS, ...range });
        assert.deepEqual(acmeSeries, [{ labels: {}, points: [[DAY0_MS + HOUR_MS, 7]] }]);
        assert.equal(sortLabelSets(await store.series({ tenant: TENANT, ...range })).length, 2);
        assert.deepEqual(sortLabelSets(await store.series({ tenant: OTHER_TENANT, ...range })), [
          { __name__: 'memory', __profile_type__: ALLOC, ...labels },
          { __name__: 'process_cpu', __profile_type__: CPU, ...labels },
        ]);
        assert.ok((await store.labelNames({ tenant: TENANT, ...range })).includes('only_acme'));
        assert.ok(!(await store.labelNames({ tenant: OTHER_TENANT, ...range })).includes('only_acme'));
        assert.deepEqual(await store.labelValues({ tenant: OTHER_TENANT, name: 'only_acme', ...range }), []);
        assert.deepEqual(await store.profileTypes({ tenant: TENANT, ...range }), [CPU]);
        assert.deepEqual(
          [...(await store.profileTypes({ tenant: OTHER_TENANT, ...range }))].sort(),
          [ALLOC, CPU].sort(),
        );
        assert.deepEqual(await store.labelNames({ tenant: 'nobody', ...range }), []);
      });
    });
  });
}

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * UTC midnight three days before today: the generated data covers [DAY0_MS, DAY0_MS + 3 d).
 * Recent on purpose: it stays inside every default retention (raw 10 s data: 7 d), so a
 * backend whose background work applies retention against the wall clock cannot drop test
 * data midway, and no backend can take it for data from the future.
 */
export const DAY0_MS = Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS;

export const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
export const ALLOC = 'memory:alloc_space:bytes:space:bytes';
export const TENANT = 'acme';
export const OTHER_TENANT = 'globex';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** A fresh data directory for `fn`, removed afterwards. */
export async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-store-'));
  try {
    await fn(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Opens a store on a fresh data directory and always closes it. */
export async function withStore(
  open: (dataDir: string) => Promise<ProfileStore>,
  fn: (store: ProfileStore, dataDir: string) => Promise<void>,
): Promise<void> {
  await withDataDir(async (dataDir) => {
    const store = await open(dataDir);
    try {
      await fn(store, dataDir);
    } finally {
      await store.close();
    }
  });
}

/** Writes and asserts nothing was rejected. */
export async function writeAll(store: ProfileStore, tenant: string, profiles: readonly ProfileInput[]): Promise<void> {
  const result = await store.write(tenant, profiles);
  assert.deepEqual(result.rejected, [], 'no profile rejected');
  assert.equal(result.written, profiles.length);
}

/** One batch per day, as an agent's uploads would arrive. */
export async function writeByDay(
  store: ProfileStore,
  tenant: string,
  profiles: readonly ProfileInput[],
): Promise<void> {
  const days = new Map<number, ProfileInput[]>();
  for (const p of profiles) {
    const day = Math.floor(p.timeMs / DAY_MS);
    days.set(day, [...(days.get(day) ?? []), p]);
  }
  for (const batch of days.values()) await writeAll(store, tenant, batch);
}

/** A tree from folded lines: `makeTree([['main;work', 3]])`. */
export function makeTree(lines: readonly (readonly [string, number])[]): CallTree {
  const builder = new CallTreeBuilder();
  for (const [stack, value] of lines) builder.insertStack(stack.split(';'), value);
  return builder.build();
}

export function cpuProfile(labels: Labels, timeMs: number, value: number, leaf = 'work'): ProfileInput {
  return { labels, profileType: CPU, timeMs, tree: makeTree([[`main;${leaf}`, value]]) };
}

/** The labels a store keeps for a profile's series: its own plus `__profile_type__` and `__name__`. */
export function storedLabels(p: ProfileInput): Labels {
  return { ...p.labels, __profile_type__: p.profileType, __name__: p.profileType.split(':')[0]! };
}

/** Prometheus semantics: a missing label equals ""; regexes are anchored at both ends. */
export function matchesAll(labels: Labels, matchers: readonly Matcher[] = []): boolean {
  return matchers.every((m) => {
    const value = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(value);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(value);
    }
  });
}

function inRange(p: ProfileInput, startMs: number, endMs: number): boolean {
  const bucketMs = Math.floor(p.timeMs / 10_000) * 10_000;
  return bucketMs >= startMs && bucketMs < endMs;
}

function selected(inputs: readonly ProfileInput[], q: SelectQuery): ProfileInput[] {
  return inputs.filter(
    (p) => p.profileType === q.profileType && inRange(p, q.startMs, q.endMs) && matchesAll(storedLabels(p), q.matchers),
  );
}

/** What selectMergeTree must answer, from the inputs themselves. */
export function expectedTree(inputs: readonly ProfileInput[], q: SelectQuery): CallTree {
  return mergeCallTrees(selected(inputs, q).map(treeOfInput));
}

/**
 * What selectSeries must answer. `avg` is, per group and step, the step's sum divided by the
 * number of distinct series (full label sets) with data in that step: a series with several
 * profiles in one step counts once, with their sum.
 */
export function expectedSeries(inputs: readonly ProfileInput[], q: SelectSeriesQuery): TimeSeries[] {
  assert.equal(q.startMs % q.stepMs, 0, 'test precondition: ranges start on a step boundary');
  const groups = new Map<string, { labels: Labels; steps: Map<number, { sum: number; series: Set<string> }> }>();
  for (const p of selected(inputs, q)) {
    const labels = storedLabels(p);
    const groupLabels = Object.fromEntries((q.groupBy ?? []).map((n) => [n, labels[n] ?? '']));
    const key = labelKey(groupLabels);
    const group = groups.get(key) ?? { labels: groupLabels, steps: new Map() };
    groups.set(key, group);
    const stepMs = q.startMs + Math.floor((p.timeMs - q.startMs) / q.stepMs) * q.stepMs;
    const step = group.steps.get(stepMs) ?? { sum: 0, series: new Set<string>() };
    group.steps.set(stepMs, step);
    step.sum += treeOfInput(p).totalValue;
    step.series.add(labelKey(labels));
  }
  return sortSeries(
    [...groups.values()].map(({ labels, steps }) => ({
      labels,
      points: [...steps]
        .sort(([a], [b]) => a - b)
        .map(([t, s]): [number, number] => [t, q.aggregation === 'avg' ? s.sum / s.series.size : s.sum]),
    })),
  );
}

export function expectedLabelSets(
  inputs: readonly ProfileInput[],
  matchers: readonly Matcher[],
  range: { startMs: number; endMs: number },
): Labels[] {
  const sets = inputs
    .filter((p) => inRange(p, range.startMs, range.endMs))
    .map(storedLabels)
    .filter((l) => matchesAll(l, matchers));
  return sortLabelSets([...new Map(sets.map((l) => [labelKey(l), l])).values()]);
}

function expectedLabelValues(
  inputs: readonly ProfileInput[],
  name: string,
  matchers: readonly Matcher[],
  range: { startMs: number; endMs: number },
): string[] {
  const values = new Set<string>();
  for (const labels of expectedLabelSets(inputs, matchers, range)) {
    const value = labels[name];
    if (value !== undefined && value !== '') values.add(value);
  }
  return [...values].sort();
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Label sets in a canonical order, each with sorted keys, for deepEqual. */
export function sortLabelSets(sets: readonly Labels[]): Labels[] {
  return sets
    .map((l) => Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))
    .sort((a, b) => (labelKey(a) < labelKey(b) ? -1 : labelKey(a) > labelKey(b) ? 1 : 0));
}

export function sortSeries(series: readonly TimeSeries[]): TimeSeries[] {
  return [...series].sort((a, b) => (labelKey(a.labels) < labelKey(b.labels) ? -1 : 1));
}

/** Same series in any order; values equal up to float rounding (avg divides). */
export function assertSameSeries(actual: readonly TimeSeries[], expected: readonly TimeSeries[], what: string): void {
  const a = sortSeries(actual);
  const e = sortSeries(expected);
  const summary = (s: readonly TimeSeries[]): string => JSON.stringify(s.map((x) => [x.labels, x.points.length]));
  assert.deepEqual(
    a.map((s) => s.labels),
    e.map((s) => s.labels),
    `${what}: series labels ${summary(a)} vs ${summary(e)}`,
  );
  for (let i = 0; i < e.length; i++) {
    const ap = a[i]!.points;
    const ep = e[i]!.points;
    const where = `${what} ${JSON.stringify(e[i]!.labels)}`;
    assert.deepEqual(
      ap.map(([t]) => t),
      ep.map(([t]) => t),
      `${where}: step times`,
    );
    for (let j = 0; j < ep.length; j++) {
      const [t, want] = ep[j]!;
      const got = ap[j]![1];
      assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${where} at ${t}: ${got} != ${want}`);
    }
  }
}

export function rangeName(q: { startMs: number; endMs: number }): string {
  const at = (ms: number): string => {
    const offset = ms - DAY0_MS;
    const day = Math.floor(offset / DAY_MS);
    return `d${day}+${new Date(offset - day * DAY_MS).toISOString().slice(11, 19)}`;
  };
  return `[${at(q.startMs)}, ${at(q.endMs)})`;
}

function describeSeriesQuery(q: SelectSeriesQuery): string {
  const parts = [`${q.profileType} ${rangeName(q)} step ${q.stepMs / 1000} s`];
  if (q.groupBy) parts.push(`by ${q.groupBy.join(',')}`);
  if (q.aggregation) parts.push(q.aggregation);
  if (q.matchers) parts.push(JSON.stringify(q.matchers));
  return parts.join(' ');
}

function query(profileType: string, startMs: number, endMs: number): SelectQuery {
  return { tenant: TENANT, profileType, startMs, endMs };
}

/**
 * Each sample type of three real captures as its own profile, labels {service_name, pod}: Go
 * CPU (inlined frames) and heap, and the Node SDK's wall profile. `form` picks the input: the
 * stack samples ingest makes from a pprof, or the profile's call tree.
 */
export function fixtureInputs(timeMs: number, form: 'samples' | 'tree'): ProfileInput[] {
  const fixtures = [
    { file: 'go/cpu.pb.gz', name: 'process_cpu', service: 'go-app' },
    { file: 'go/heap.pb.gz', name: 'memory', service: 'go-app' },
    { file: 'pyroscope-nodejs/fresh/wall-cpu-001.pprof.gz', name: 'wall', service: 'node-app' },
  ];
  return fixtures.flatMap(({ file, name, service }) => {
    const profile = parsePprof(readFileSync(join(repoRoot, 'testdata', file)));
    assert.ok(profile?.periodType, `${file} is pprof with a period type`);
    const period = profile.periodType;
    const perType = buildStackSamples(profile);
    return profile.sampleTypes.map((t, sampleType): ProfileInput => {
      const series = {
        labels: { service_name: service, pod: 'a' },
        profileType: `${name}:${t.type}:${t.unit}:${period.type}:${period.unit}`,
        timeMs,
      };
      return form === 'samples'
        ? { ...series, samples: perType[sampleType]! }
        : { ...series, tree: buildCallTree(profile, { sampleType }) };
    });
  });
}

/**
 * About 300 small profiles over three days for pods a, b (service api) and c (service worker):
 * bursts every 10 s that start at midnight, cross an hour boundary and end at the next
 * midnight, some with two profiles in one 10 s bucket or off the second, and ALLOC profiles
 * for pod a. Values are small integers, so every sum is exact.
 */
export function rollupDataset(): ProfileInput[] {
  const pods = [
    { pod: 'a', service_name: 'api' },
    { pod: 'b', service_name: 'api' },
    { pod: 'c', service_name: 'worker' },
  ];
  const out: ProfileInput[] = [];
  for (let day = 0; day < 3; day++) {
    const dayMs = DAY0_MS + day * DAY_MS;
    const bursts: [number, number][] = [
      [dayMs, 9],
      [dayMs + 5 * HOUR_MS + 30 * SECOND_MS, 12],
      [dayMs + 13 * HOUR_MS - 40 * SECOND_MS, 8],
      [dayMs + DAY_MS - 50 * SECOND_MS, 5],
    ];
    bursts.forEach(([fromMs, count], b) => {
      pods.forEach((labels, podIndex) => {
        if ((b + podIndex + day) % 3 === 0) return;
        for (let k = 0; k < count; k++) {
          const timeMs = fromMs + k * 10 * SECOND_MS + (k % 5 === 3 ? 1_234 : 0);
          const value = 1 + ((k * 7 + podIndex + day) % 5);
          const lines: [string, number][] = [[`main;handler_${k % 3};leaf_${labels.pod}`, value]];
          if (k % 4 === 0) lines.push(['main;runtime.gc', 1]);
          // Both input forms, mixed in every series.
          if (k % 2 === 0) out.push({ labels, profileType: CPU, timeMs, tree: makeTree(lines) });
          else out.push({ labels, profileType: CPU, timeMs, samples: makeSamples(lines) });
          if (k % 6 === 1)
            out.push({ labels, profileType: CPU, timeMs: timeMs + 3_000, tree: makeTree([['main;extra', 2]]) });
          if (labels.pod === 'a' && k % 2 === 0) {
            out.push({ labels, profileType: ALLOC, timeMs, tree: makeTree([[`main;alloc_${k % 2}`, 100 + k]]) });
          }
        }
      });
    });
  }
  return out;
}

/** Ranges on 10 s boundaries: aligned and not to minutes, hours and days. */
const ROLLUP_RANGES: readonly [number, number][] = [
  [DAY0_MS, DAY0_MS + 3 * DAY_MS],
  [DAY0_MS + 10 * SECOND_MS, DAY0_MS + 3 * DAY_MS - 10 * SECOND_MS],
  [DAY0_MS + 5 * HOUR_MS + 70 * SECOND_MS, DAY0_MS + DAY_MS + 5 * HOUR_MS + 70 * SECOND_MS],
  [DAY0_MS + 13 * HOUR_MS - 10 * SECOND_MS, DAY0_MS + DAY_MS + 14 * HOUR_MS - 10 * SECOND_MS],
  [DAY0_MS + DAY_MS - 30 * SECOND_MS, DAY0_MS + DAY_MS + 30 * SECOND_MS],
  [DAY0_MS + 5 * HOUR_MS, DAY0_MS + 6 * HOUR_MS],
  [DAY0_MS + DAY_MS + 12 * HOUR_MS + 30 * MINUTE_MS, DAY0_MS + DAY_MS + 13 * HOUR_MS + 30 * MINUTE_MS],
  [DAY0_MS + 5 * HOUR_MS + MINUTE_MS, DAY0_MS + 5 * HOUR_MS + 2 * MINUTE_MS],
  [DAY0_MS + 2 * DAY_MS + 13 * HOUR_MS - 30 * SECOND_MS, DAY0_MS + 2 * DAY_MS + 13 * HOUR_MS + 30 * SECOND_MS],
  [DAY0_MS + 5 * HOUR_MS + 100 * SECOND_MS, DAY0_MS + 5 * HOUR_MS + 110 * SECOND_MS],
  [DAY0_MS + 2 * HOUR_MS, DAY0_MS + 3 * HOUR_MS],
];

const ROLLUP_MATCHERS: readonly (readonly Matcher[] | undefined)[] = [
  undefined,
  [{ name: 'pod', op: '=~', value: 'a|c' }],
  [{ name: 'service_name', op: '=', value: 'api' }],
];

/** selectMergeTree over every range, type and matcher equals the merge of the inputs. */
export async function assertRollupQueries(
  store: ProfileStore,
  inputs: readonly ProfileInput[],
  when: string,
): Promise<void> {
  for (const [startMs, endMs] of ROLLUP_RANGES) {
    for (const profileType of [CPU, ALLOC]) {
      for (const matchers of ROLLUP_MATCHERS) {
        const q: SelectQuery = { tenant: TENANT, profileType, startMs, endMs, ...(matchers ? { matchers } : {}) };
        const tree = await store.selectMergeTree(q);
        const what = `${when}: ${profileType} ${rangeName(q)} ${matchers ? JSON.stringify(matchers) : ''}`;
        assert.deepEqual(tree.toFolded(), expectedTree(inputs, q).toFolded(), what);
      }
    }
  }
}

export async function assertRollupSeries(
  store: ProfileStore,
  inputs: readonly ProfileInput[],
  when: string,
): Promise<void> {
  const base = { tenant: TENANT, profileType: CPU };
  const cases: SelectSeriesQuery[] = [
    { ...base, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS, stepMs: HOUR_MS, groupBy: ['pod'] },
    { ...base, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS, stepMs: DAY_MS, groupBy: ['service_name'] },
    { ...base, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS, stepMs: DAY_MS, aggregation: 'avg' },
    { ...base, startMs: DAY0_MS + 5 * HOUR_MS, endMs: DAY0_MS + 6 * HOUR_MS, stepMs: MINUTE_MS, groupBy: ['pod'] },
    { ...base, startMs: DAY0_MS + 12 * HOUR_MS, endMs: DAY0_MS + DAY_MS + 14 * HOUR_MS, stepMs: MINUTE_MS },
    { ...base, profileType: ALLOC, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS, stepMs: HOUR_MS },
  ];
  for (const q of cases) {
    assertSameSeries(await store.selectSeries(q), expectedSeries(inputs, q), `${when}: ${describeSeriesQuery(q)}`);
  }
}

const MATCHER_SERIES: readonly Labels[] = [
  { service_name: 'api', pod: 'a', region: 'eu' },
  { service_name: 'api', pod: 'b' },
  { service_name: 'abc', pod: 'a', region: 'us' },
  { service_name: 'xabc', pod: 'c', region: 'eu' },
  { service_name: 'worker', pod: 'd' },
];

/** One CPU profile per series of MATCHER_SERIES with its own leaf, plus ALLOC for the first. */
function matcherDataset(): ProfileInput[] {
  const cpu = MATCHER_SERIES.map((labels, i) =>
    cpuProfile(labels, DAY0_MS + 2 * HOUR_MS + i * 1_000, i + 1, `fn_${i}`),
  );
  return [...cpu, { ...cpuProfile(MATCHER_SERIES[0]!, DAY0_MS + 2 * HOUR_MS, 100), profileType: ALLOC }];
}

const MATCHER_CASES: readonly [string, Matcher[]][] = [
  ['service_name="api"', [{ name: 'service_name', op: '=', value: 'api' }]],
  ['service_name!="api"', [{ name: 'service_name', op: '!=', value: 'api' }]],
  ['service_name=~"a.*" is anchored: abc, not xabc', [{ name: 'service_name', op: '=~', value: 'a.*' }]],
  ['service_name!~"a.*" is anchored: xabc, not abc', [{ name: 'service_name', op: '!~', value: 'a.*' }]],
  ['service_name=~"ap" matches no prefix', [{ name: 'service_name', op: '=~', value: 'ap' }]],
  ['region="eu"', [{ name: 'region', op: '=', value: 'eu' }]],
  ['region!="eu" holds series without region', [{ name: 'region', op: '!=', value: 'eu' }]],
  ['region="" selects series without region', [{ name: 'region', op: '=', value: '' }]],
  ['region=~"eu|" holds series without region', [{ name: 'region', op: '=~', value: 'eu|' }]],
  ['region!~".+" selects series without region', [{ name: 'region', op: '!~', value: '.+' }]],
  ['region=~".+" selects series with region', [{ name: 'region', op: '=~', value: '.+' }]],
  ['zone="" on a label no series has selects all', [{ name: 'zone', op: '=', value: '' }]],
  ['zone!="" on a label no series has selects none', [{ name: 'zone', op: '!=', value: '' }]],
  [
    'matchers are ANDed',
    [
      { name: 'service_name', op: '=~', value: 'api|worker' },
      { name: 'region', op: '!=', value: 'us' },
      { name: 'pod', op: '!~', value: 'd' },
    ],
  ],
  [
    'contradicting matchers select nothing',
    [
      { name: 'service_name', op: '=', value: 'api' },
      { name: 'service_name', op: '=', value: 'worker' },
    ],
  ],
];

/** The hour SERIES data starts at, aligned to 1 h so every step divides it. */
const SERIES_HOUR_MS = DAY0_MS + 6 * HOUR_MS;

/**
 * S1 {api, a}: every 10 s for 5 min, values 1,2,3,4,... (73), plus 2 in an already used bucket: 75.
 * S2 {api, b}: every 10 s from +2 min to +4 min, values 10,11,12,... (132), and 7 at +1 h 30 s.
 * S3 {web, c}: every 20 s for 3 min from +1 h, 5 each (45), and 100 at +2 h 10 min.
 * Sum per hour: 207, 52, 100 (359 in all); avg per hour over the series with data: 103.5, 26, 100.
 * An ALLOC profile on S1 checks the profile type filter.
 */
function seriesDataset(): ProfileInput[] {
  const h = SERIES_HOUR_MS;
  const s1 = { service_name: 'api', pod: 'a' };
  const s2 = { service_name: 'api', pod: 'b' };
  const s3 = { service_name: 'web', pod: 'c' };
  const out: ProfileInput[] = [];
  for (let k = 0; k < 30; k++) out.push(cpuProfile(s1, h + k * 10 * SECOND_MS, 1 + (k % 4)));
  out.push(cpuProfile(s1, h + 13 * SECOND_MS, 2, 'other'));
  for (let k = 0; k < 12; k++) out.push(cpuProfile(s2, h + 2 * MINUTE_MS + k * 10 * SECOND_MS, 10 + (k % 3)));
  out.push(cpuProfile(s2, h + HOUR_MS + 30 * SECOND_MS, 7));
  for (let k = 0; k < 9; k++) out.push(cpuProfile(s3, h + HOUR_MS + k * 20 * SECOND_MS, 5));
  out.push(cpuProfile(s3, h + 2 * HOUR_MS + 10 * MINUTE_MS, 100));
  out.push({ ...cpuProfile(s1, h + 10 * SECOND_MS, 1_000), profileType: ALLOC });
  return out;
}

/** Answers to every query type over the rollup ranges, normalized for deepEqual. */
export async function snapshot(store: ProfileStore): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const tenant of [TENANT, OTHER_TENANT]) {
    const range = { tenant, startMs: DAY0_MS, endMs: DAY0_MS + 3 * DAY_MS };
    const types = [...(await store.profileTypes(range))].sort();
    out[`${tenant} types`] = types;
    out[`${tenant} series`] = sortLabelSets(await store.series(range));
    const names = [...(await store.labelNames(range))].sort();
    out[`${tenant} names`] = names;
    for (const name of names)
      out[`${tenant} values ${name}`] = [...(await store.labelValues({ ...range, name }))].sort();
    for (const profileType of types) {
      for (const [startMs, endMs] of ROLLUP_RANGES) {
        const q = { ...range, profileType, startMs, endMs };
        out[`${tenant} tree ${profileType} ${rangeName(q)}`] = (await store.selectMergeTree(q)).toFolded();
      }
      for (const stepMs of [10 * SECOND_MS, HOUR_MS]) {
        const q = { ...range, profileType, stepMs, groupBy: ['pod'] };
        out[`${tenant} series ${profileType} ${stepMs}`] = sortSeries(await store.selectSeries(q));
      }
    }
  }
  return out;
}
