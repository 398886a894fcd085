// Compatibility with the official Pyroscope Node SDK, end to end: the SDK (current 0.6.4, which
// posts a raw gzip pprof with format=pprof, and old 0.4.13, which posts a multipart `profile`
// part without format) instruments sdk-app.mjs, a child program with known CPU and heap
// behaviour, and uploads to a real `kiln server` process with its own data directory. The test
// then reads the data back as Grafana and the Pyroscope UI do, through querier.v1 over Connect
// and GET /pyroscope/render, and compares it with the pprof bodies the SDK sent (exactly) and
// with what the program did (roughly: sampling).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readFlameGraph, type FlameGraphView } from './flame-graph.js';
import { assertCleanExit, startKilnProcess, type KilnProcess } from './kiln-process.js';
import { runSdkApp, sdkFunctionName, type SdkRun } from './run-sdk-app.js';
import { readSentProfiles, type SentValues } from './sent-profiles.js';

const SDKS = [
  { version: '0.6.4', service: 'compat-nodejs-064', bodyKind: 'bytes', format: 'pprof' },
  { version: '0.4.13', service: 'compat-nodejs-0413', bodyKind: 'multipart', format: null },
] as const;

const RUN_MS = 2_500;
const FLUSH_INTERVAL_MS = 1_000;

const CPU = 'process_cpu:cpu:nanoseconds:wall:nanoseconds';
const WALL = 'wall:wall:nanoseconds:wall:nanoseconds';
const WALL_SAMPLES = 'wall:samples:count:wall:nanoseconds';
const INUSE_SPACE = 'memory:inuse_space:bytes:inuse_space:bytes';
const INUSE_OBJECTS = 'memory:inuse_objects:count:inuse_space:bytes';

/**
 * The profile type Pyroscope stores each sample type the SDK sends under: the wall profile
 * (samples, wall, and cpu since collectCpuTime is on; period type wall) and the heap profile
 * (period type inuse_space, the SDK's rename of V8's `space`).
 */
const TYPE_OF_SAMPLE_TYPE: Record<string, string> = {
  samples: WALL_SAMPLES,
  wall: WALL,
  cpu: CPU,
  inuse_objects: INUSE_OBJECTS,
  inuse_space: INUSE_SPACE,
};

/** `metadata` of /pyroscope/render as Pyroscope's ExportToFlamebearer sets it (§3.5). */
const RENDER_METADATA: Record<string, Record<string, unknown>> = {
  [CPU]: { format: 'single', units: 'samples', sampleRate: 1e9, name: 'cpu' },
  [WALL]: { format: 'single', units: 'nanoseconds', sampleRate: 100, name: 'wall' },
  [WALL_SAMPLES]: { format: 'single', units: 'objects', sampleRate: 100, name: 'samples' },
  [INUSE_SPACE]: { format: 'single', units: 'bytes', sampleRate: 100, name: 'inuse_space' },
  [INUSE_OBJECTS]: { format: 'single', units: 'objects', sampleRate: 100, name: 'inuse_objects' },
};

const hot = sdkFunctionName('burnHot');
const warm = sdkFunctionName('burnWarm');
const cycle = sdkFunctionName('runCycle');
const alloc = sdkFunctionName('allocRetained');

let kiln: KilnProcess;
const uploadDirs: string[] = [];
const runs = new Map<string, SdkRun>();
const sent = new Map<string, Map<string, SentValues>>();
let startMs = 0;
let endMs = 0;

before(async () => {
  kiln = await startKilnProcess();
  // Both SDKs at once (separate processes, separate services): the run is bounded by RUN_MS.
  const results = await Promise.all(
    SDKS.map((sdk) => {
      const uploadDir = mkdtempSync(join(tmpdir(), `kiln-compat-sdk-${sdk.version}-`));
      uploadDirs.push(uploadDir);
      return runSdkApp({
        sdkVersion: sdk.version,
        serverUrl: kiln.url,
        appName: sdk.service,
        runMs: RUN_MS,
        flushIntervalMs: FLUSH_INTERVAL_MS,
        uploadDir,
      });
    }),
  );
  SDKS.forEach((sdk, i) => {
    runs.set(sdk.version, results[i]!);
    sent.set(sdk.version, readSentProfiles(results[i]!.uploads.map((u) => u.file)));
  });
  startMs = Math.min(...results.map((r) => r.startedMs)) - 60_000;
  endMs = Math.max(...results.map((r) => r.stoppedMs)) + 60_000;
});

after(async () => {
  await kiln?.stop();
  for (const dir of uploadDirs) rmSync(dir, { recursive: true, force: true });
});

interface FlameGraphs {
  connect: FlameGraphView;
  render: FlameGraphView;
  metadata: Record<string, unknown>;
}

/** SelectMergeStacktraces of one service, decoded, and the same query through /pyroscope/render. */
async function flameGraphs(profileType: string, service: string): Promise<FlameGraphs> {
  const res = await kiln.querier().selectMergeStacktraces({
    profileTypeID: profileType,
    labelSelector: `{service_name="${service}"}`,
    start: BigInt(startMs),
    end: BigInt(endMs),
  });
  const fg = res.flamegraph;
  assert.ok(fg, 'SelectMergeStacktraces has a flamegraph');
  const connect = readFlameGraph(
    fg.names,
    fg.levels.map((l) => l.values),
    fg.total,
  );
  const query = new URLSearchParams({
    query: `${profileType}{service_name="${service}"}`,
    from: String(startMs),
    until: String(endMs),
  });
  const http = await fetch(`${kiln.url}/pyroscope/render?${query}`);
  assert.equal(http.status, 200, await http.clone().text());
  const body = (await http.json()) as {
    flamebearer: { names: string[]; levels: number[][]; numTicks: number };
    metadata: Record<string, unknown>;
  };
  const render = readFlameGraph(body.flamebearer.names, body.flamebearer.levels, body.flamebearer.numTicks);
  return { connect, render, metadata: body.metadata };
}

function selfOf(fg: FlameGraphView, name: string): number {
  const self = fg.selfByName.get(name);
  assert.ok(self !== undefined, `${name} is not in the flame graph; the biggest are ${biggest(fg.selfByName)}`);
  return self;
}

function biggest(selfByName: Map<string, number>): string {
  return [...selfByName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([n, v]) => `${n}=${v}`)
    .join(', ');
}

function nonZero(selfByName: Map<string, number>): Map<string, number> {
  return new Map([...selfByName].filter(([, v]) => v !== 0));
}

for (const sdk of SDKS) {
  describe(`@pyroscope/nodejs ${sdk.version}`, () => {
    const run = (): SdkRun => runs.get(sdk.version)!;
    const sentOf = (sampleType: string): SentValues => {
      const values = sent.get(sdk.version)!.get(sampleType);
      assert.ok(values, `the SDK sent no ${sampleType}`);
      return values;
    };

    test('every upload is accepted, in the wire format of that SDK version', () => {
      const { uploads, stderr } = run();
      assert.ok(uploads.length >= 3, `${uploads.length} uploads`);
      for (const u of uploads) {
        assert.equal(u.status, 200, `${u.url}: ${u.text}`);
        const url = new URL(u.url);
        assert.equal(url.pathname, '/ingest');
        assert.equal(url.searchParams.get('format'), sdk.format);
        assert.equal(url.searchParams.get('spyName'), 'nodespy');
        assert.match(
          url.searchParams.get('name')!,
          new RegExp(`^${sdk.service}\\{.*env=compat,version=${sdk.version}\\}$`),
        );
        assert.equal(u.bodyKind, sdk.bodyKind);
      }
      assert.deepEqual([...sent.get(sdk.version)!.keys()].sort(), Object.keys(TYPE_OF_SAMPLE_TYPE).sort());
      assert.doesNotMatch(stderr, /rejected|Error sending/);
    });

    test('the series carry service_name = the app name and the tags; profile types as Pyroscope names them', async () => {
      const querier = kiln.querier();
      const range = { start: BigInt(startMs), end: BigInt(endMs) };
      const service = `{service_name="${sdk.service}"}`;
      const series = await querier.series({ matchers: [service], labelNames: ['__profile_type__'], ...range });
      const types = series.labelsSet.map((s) => s.labels.find((l) => l.name === '__profile_type__')?.value).sort();
      assert.deepEqual(types, Object.values(TYPE_OF_SAMPLE_TYPE).sort());
      const all = (await querier.profileTypes(range)).profileTypes;
      for (const id of types) {
        const t = all.find((p) => p.ID === id);
        assert.ok(t, `ProfileTypes lists ${id}`);
        assert.equal([t.name, t.sampleType, t.sampleUnit, t.periodType, t.periodUnit].join(':'), id);
      }
      const values = async (name: string, matchers: string[]): Promise<string[]> =>
        (await querier.labelValues({ name, matchers, ...range })).names;
      assert.deepEqual(await values('env', [service]), ['compat']);
      assert.deepEqual(await values('version', [service]), [sdk.version]);
      assert.deepEqual(await values('pyroscope_spy', [service]), ['nodespy']);
      assert.deepEqual(await values('service_name', [`{env="compat", version="${sdk.version}"}`]), [sdk.service]);
      assert.ok((await values('env', [])).includes('compat'));
      const names = (await querier.labelNames({ matchers: [service], ...range })).names;
      for (const n of ['service_name', 'env', 'version']) assert.ok(names.includes(n), `label name ${n}`);
    });

    test('each profile type gives back exactly what the SDK sent, over Connect and render, in its units', async () => {
      for (const [sampleType, profileType] of Object.entries(TYPE_OF_SAMPLE_TYPE)) {
        const expected = sentOf(sampleType);
        assert.equal(profileType.split(':')[2], expected.unit, `${profileType}: the unit sent`);
        const { connect, render, metadata } = await flameGraphs(profileType, sdk.service);
        assert.equal(connect.total, expected.total, `${profileType}: total`);
        assert.deepEqual(nonZero(connect.selfByName), expected.selfByName, `${profileType}: self per function`);
        assert.equal(render.total, connect.total, `${profileType}: render numTicks`);
        assert.deepEqual(render.selfByName, connect.selfByName, `${profileType}: render self per function`);
        const { format, units, sampleRate, name } = metadata;
        assert.deepEqual({ format, units, sampleRate, name }, RENDER_METADATA[profileType], `${profileType}: metadata`);
      }
    });

    test('CPU: burnHot and burnWarm, named as the SDK names them, split about 2:1 in nanoseconds', async () => {
      const { connect } = await flameGraphs(CPU, sdk.service);
      const hotNs = selfOf(connect, hot);
      const warmNs = selfOf(connect, warm);
      const share = hotNs / (hotNs + warmNs);
      assert.ok(share > 0.5 && share < 0.8, `burnHot has ${(share * 100).toFixed(1)} % of the burners' CPU`);
      // Nanoseconds: one thread uses no more CPU time than the run lasted, and the whole process
      // no more than two cores' worth.
      const runNs = (run().stoppedMs - run().startedMs) * 1e6;
      assert.ok(hotNs + warmNs < 1.05 * runNs, `burners ${hotNs + warmNs} ns in a ${runNs} ns run`);
      assert.ok(connect.total < 2.5 * runNs, `CPU total ${connect.total} ns in a ${runNs} ns run`);
      // The call stack survives: both burners are called by runCycle.
      for (const name of [hot, warm]) {
        const parents = new Set(connect.find(name).map((n) => n.parent?.name));
        assert.ok(parents.has(cycle), `${name} called by ${[...parents].join(', ')}`);
      }
    });

    test('wall: the same 2:1 split, in nanoseconds; samples are counts of ~5 ms', async () => {
      const { connect } = await flameGraphs(WALL, sdk.service);
      const hotNs = selfOf(connect, hot);
      const warmNs = selfOf(connect, warm);
      const share = hotNs / (hotNs + warmNs);
      assert.ok(share > 0.5 && share < 0.8, `burnHot has ${(share * 100).toFixed(1)} % of the burners' wall time`);
      // At most the length of the run (the SDK drops a profile when the previous upload is still
      // running, as it can on a busy machine, so no lower bound).
      const runNs = (run().stoppedMs - run().startedMs) * 1e6;
      assert.ok(connect.total < 1.5 * runNs, `wall total ${connect.total} ns for a ${runNs} ns run`);
      const samples = await flameGraphs(WALL_SAMPLES, sdk.service);
      // Each sample stands for the 5 ms sampling interval of sdk-app.mjs, or more when the
      // sampler runs late: milliseconds, not counts or microseconds.
      const nsPerSample = connect.total / samples.connect.total;
      assert.ok(nsPerSample > 4e6 && nsPerSample < 100e6, `${nsPerSample} ns per sample`);
    });

    test('heap: allocRetained holds the retained arrays, inuse_space in bytes and inuse_objects in count', async () => {
      const { chunks, chunkLength } = run();
      // Every heap upload is a snapshot of all live sampled allocations, and holds every chunk
      // (allocated before the first flush); the merged flame graph sums the snapshots.
      const snapshots = sentOf('inuse_space').uploads;
      const space = await flameGraphs(INUSE_SPACE, sdk.service);
      const bytes = selfOf(space.connect, alloc);
      const expectedBytes = snapshots * chunks * (chunkLength * 8 + 16);
      // V8 samples every 32 KiB on average and scales each sample up; with 64 KiB arrays the
      // estimate is within a few percent.
      assert.ok(Math.abs(bytes / expectedBytes - 1) < 0.25, `allocRetained ${bytes} B, expected ~${expectedBytes} B`);
      assert.ok(bytes > 0.4 * space.connect.total, `allocRetained ${bytes} B of ${space.connect.total} B`);
      const objects = await flameGraphs(INUSE_OBJECTS, sdk.service);
      const count = selfOf(objects.connect, alloc);
      // One backing store per array, plus small objects (the 32-byte arrays, the growing
      // `retained` list): each of those sampled counts for up to ~1024 (32 KiB / 32 B), and only
      // a few are, so allow three.
      const expectedCount = snapshots * chunks;
      assert.ok(
        count > 0.75 * expectedCount && count < 1.25 * expectedCount + 3 * 1025,
        `allocRetained ${count} objects, expected ~${expectedCount}`,
      );
    });
  });
}

describe('the kiln server process', () => {
  test('stops on SIGTERM: exit code 0, quickly, and no warning or error in its log', async () => {
    assertCleanExit(await kiln.stop());
  });
});
