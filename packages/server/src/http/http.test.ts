import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ConnectError } from '@connectrpc/connect';
import { PushRequestSchema, TimeSeriesAggregationType, toLabelPairs } from '@kiln/api';
import { parsePprof, serializeTrie, serializeTree } from '@kiln/formats';
import { buildCallTree, decodeFlamebearer, selectTopFunctions, sumValues, type Flamebearer } from '@kiln/model';
import { startTestServer, type TestServer } from '../test-helpers/server.js';
import { testdata } from '../test-helpers/testdata.js';

const goCpu = readFileSync(testdata('go', 'cpu.pb.gz'));
const goProfile = parsePprof(goCpu)!;
const goTimeMs = Math.floor(goProfile.timeNs / 1e6);
const nodeWall = readFileSync(testdata('pyroscope-nodejs', 'wall-cpu-001.pprof.gz'));
const nodeProfile = parsePprof(nodeWall)!;
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

/** Flat (self) value per function of a flamebearer, and its total. */
function selfByFunction(fb: Flamebearer): Map<string, number> {
  const tree = decodeFlamebearer(fb);
  return new Map(selectTopFunctions(tree).map((f) => [f.name, f.self]));
}

let s: TestServer;
const range = { from: String(goTimeMs - 3_600_000), until: String(goTimeMs + 3_600_000) };

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.url}${path}`, { headers });
}

async function post(
  path: string,
  body: string | Uint8Array | FormData,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${s.url}${path}`, { method: 'POST', body, headers });
}

function q(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

before(async () => {
  s = await startTestServer();
  const res = await post(`/ingest?${q({ name: 'go-app{env=prod}', format: 'pprof', spyName: 'gospy' })}`, goCpu, {
    'content-type': 'application/octet-stream',
  });
  assert.equal(res.status, 200, await res.text());
});

after(async () => {
  await s.stop();
});

describe('legacy /ingest with pprof and the query APIs', () => {
  test('SelectMergeStacktraces (binary and JSON) gives back every function with its exact CPU time', async () => {
    const expected = new Map(
      selectTopFunctions(buildCallTree(goProfile, { sampleType: 1 })).map((f) => [f.name, f.self]),
    );
    for (const binary of [true, false]) {
      const res = await s.querier(binary).selectMergeStacktraces({
        profileTypeID: CPU,
        labelSelector: '{service_name="go-app", env="prod"}',
        start: BigInt(range.from),
        end: BigInt(range.until),
        maxNodes: 1_000_000n,
      });
      const fg = res.flamegraph!;
      assert.equal(fg.total, BigInt(sumValues(goProfile, 1)));
      assert.equal(fg.total, 7_000_000_000n); // `go tool pprof -top`: Total samples = 7000000000ns
      const flamebearer: Flamebearer = {
        names: fg.names,
        levels: fg.levels.map((l) => l.values.map(Number)),
        numTicks: Number(fg.total),
        maxSelf: Number(fg.maxSelf),
      };
      assert.deepEqual(selfByFunction(flamebearer), expected);
    }
  });

  test('max_nodes defaults to 8192 and cuts into `other` with exact totals; out of range is invalid_argument', async () => {
    const res = await s.querier().selectMergeStacktraces({
      profileTypeID: CPU,
      labelSelector: '{service_name="go-app"}',
      start: BigInt(range.from),
      end: BigInt(range.until),
      maxNodes: 10n,
    });
    const tree = decodeFlamebearer({
      names: res.flamegraph!.names,
      levels: res.flamegraph!.levels.map((l) => l.values.map(Number)),
      numTicks: Number(res.flamegraph!.total),
      maxSelf: 0,
    });
    assert.ok(tree.size <= 10, `size ${tree.size}`);
    assert.equal(tree.totalValue, 7e9);
    await assert.rejects(
      s.querier().selectMergeStacktraces({
        profileTypeID: CPU,
        labelSelector: '{}',
        start: BigInt(range.from),
        end: BigInt(range.until),
        maxNodes: 2_000_000n,
      }),
      (err) => err instanceof ConnectError && err.code === 3 && /ERR_QUERY_INVALID_MAX_NODES/.test(err.message),
    );
  });

  test('/pyroscope/render and /render: flamebearer, metadata in Pyroscope units, timeline', async () => {
    for (const path of ['/pyroscope/render', '/render']) {
      const res = await get(`${path}?${q({ query: `${CPU}{service_name="go-app"}`, ...range })}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        flamebearer: Flamebearer;
        metadata: Record<string, unknown>;
        timeline: { startTime: number; samples: number[]; durationDelta: number };
      };
      assert.equal(body.flamebearer.numTicks, 7e9);
      assert.equal(body.flamebearer.names[0], 'total');
      assert.equal(body.metadata.units, 'samples');
      assert.equal(body.metadata.sampleRate, 1e9);
      assert.equal(body.metadata.name, 'cpu');
      assert.equal(body.metadata.format, 'single');
      assert.equal(
        body.timeline.samples.reduce((a, b) => a + b, 0),
        7e9,
      );
      assert.ok(body.timeline.durationDelta >= 15);
      if (path === '/render') assert.equal(body.metadata.appName, 'go-app.cpu');
    }
    // v0.x form: name=app.cpu, and pprof / collapsed exports.
    const og = await get(`/render?${q({ name: 'go-app.cpu{env="prod"}', ...range })}`);
    assert.equal(((await og.json()) as { flamebearer: Flamebearer }).flamebearer.numTicks, 7e9);
    const folded = await (await get(`/render?${q({ name: 'go-app.cpu', format: 'collapsed', ...range })}`)).text();
    assert.match(folded, /crypto\/sha256\.block/);
    const pprof = parsePprof(
      new Uint8Array(
        await (await get(`/render?${q({ name: 'go-app.cpu', format: 'pprof', ...range })}`)).arrayBuffer(),
      ),
    )!;
    assert.equal(sumValues(pprof, 0), 7e9);
  });

  test('label names, values, series, profile types: querier and legacy routes', async () => {
    const querier = s.querier(false);
    const start = BigInt(range.from);
    const end = BigInt(range.until);
    const types = (await querier.profileTypes({ start, end })).profileTypes.map((t) => t.ID);
    assert.deepEqual(types.sort(), [CPU, 'process_cpu:samples:count:cpu:nanoseconds']);
    const names = (await querier.labelNames({ matchers: ['{service_name="go-app"}'], start, end })).names;
    for (const n of ['service_name', 'env', 'pyroscope_spy', '__name__', '__profile_type__'])
      assert.ok(names.includes(n), n);
    assert.deepEqual((await querier.labelValues({ name: 'env', matchers: [], start, end })).names, ['prod']);
    const series = await querier.series({ matchers: [], labelNames: ['service_name', '__profile_type__'], start, end });
    assert.equal(series.labelsSet.length, 2);
    assert.deepEqual(
      await (await get(`/pyroscope/label-values?${q({ label: '__name__', ...range })}`)).json(),
      types.sort(),
    );
    assert.deepEqual(await (await get(`/label-values?${q({ label: '__name__', ...range })}`)).json(), ['go-app.cpu']);
    assert.deepEqual(await (await get(`/label-values?${q({ label: 'env', ...range })}`)).json(), ['prod']);
    assert.ok(((await (await get(`/labels?${q(range)}`)).json()) as string[]).includes('__name__'));
    const apps = (await (await get('/api/apps')).json()) as { name: string; spyName: string }[];
    assert.deepEqual(
      apps.map((a) => [a.name, a.spyName]),
      [['go-app.cpu', 'gospy']],
    );
  });

  test('SelectSeries sums per step and groups by label; Diff against itself is all zeros', async () => {
    const res = await s.querier().selectSeries({
      profileTypeID: CPU,
      labelSelector: '{}',
      start: BigInt(range.from),
      end: BigInt(range.until),
      step: 60,
      groupBy: ['env'],
      aggregation: TimeSeriesAggregationType.SUM,
    });
    assert.equal(res.series.length, 1);
    assert.deepEqual(res.series[0]!.labels, toLabelPairs({ env: 'prod' }));
    assert.equal(
      res.series[0]!.points.reduce((a, p) => a + p.value, 0),
      7e9,
    );
    const side = {
      profileTypeID: CPU,
      labelSelector: '{service_name="go-app"}',
      start: BigInt(range.from),
      end: BigInt(range.until),
    };
    const diff = (await s.querier().diff({ left: side, right: side })).flamegraph!;
    assert.equal(diff.leftTicks, 7_000_000_000n);
    assert.equal(diff.rightTicks, 7_000_000_000n);
    const rd = await get(
      `/pyroscope/render-diff?${q({
        leftQuery: `${CPU}{service_name="go-app"}`,
        rightQuery: `${CPU}{service_name="go-app"}`,
        leftFrom: range.from,
        leftUntil: range.until,
        rightFrom: range.from,
        rightUntil: range.until,
      })}`,
    );
    const body = (await rd.json()) as { metadata: { format: string }; leftTicks: number; rightTicks: number };
    assert.equal(body.metadata.format, 'double');
    assert.equal(body.leftTicks, 7e9);
  });

  test('SelectMergeProfile returns pprof with the stored totals', async () => {
    const profile = await s.querier().selectMergeProfile({
      profileTypeID: CPU,
      labelSelector: '{service_name="go-app"}',
      start: BigInt(range.from),
      end: BigInt(range.until),
    });
    const total = profile.sample.reduce((a, x) => a + Number(x.value[0]), 0);
    assert.equal(total, 7e9);
    assert.equal(profile.stringTable[Number(profile.sampleType[0]!.type)], 'cpu');
  });
});

describe('Connect push', () => {
  test('Alloy-style push of Go and Node SDK pprof, binary and JSON, lands in the right series', async () => {
    for (const [binary, service] of [
      [true, 'pushed-bin'],
      [false, 'pushed-json'],
    ] as const) {
      await s.pusher(binary).push(
        create(PushRequestSchema, {
          series: [
            {
              labels: toLabelPairs({ __name__: 'process_cpu', service_name: service, __delta__: 'false', pod: 'a' }),
              samples: [{ rawProfile: goCpu, ID: 'b0d8c3f0-0000-4000-8000-000000000001' }],
            },
            {
              labels: toLabelPairs({ __name__: 'wall', service_name: `${service}-node` }),
              samples: [{ rawProfile: nodeWall }],
            },
          ],
        }),
      );
      const res = await s.querier().selectMergeStacktraces({
        profileTypeID: CPU,
        labelSelector: `{service_name="${service}", pod="a"}`,
        start: BigInt(range.from),
        end: BigInt(range.until),
      });
      assert.equal(res.flamegraph!.total, 7_000_000_000n);
      const nodeTime = Math.floor(nodeProfile.timeNs / 1e6);
      const wall = await s.querier().selectMergeStacktraces({
        profileTypeID: 'wall:wall:nanoseconds:wall:nanoseconds',
        labelSelector: `{service_name="${service}-node"}`,
        start: BigInt(nodeTime - 3_600_000),
        end: BigInt(nodeTime + 3_600_000),
      });
      const wallIndex = nodeProfile.sampleTypes.findIndex((t) => t.type === 'wall');
      assert.equal(Number(wall.flamegraph!.total), sumValues(nodeProfile, wallIndex));
    }
  });

  test('an empty push and a broken profile are invalid_argument with a Kiln code', async () => {
    await assert.rejects(
      s.pusher().push({ series: [] }),
      (e) => e instanceof ConnectError && /ERR_INGEST_EMPTY/.test(e.message),
    );
    await assert.rejects(
      s.pusher().push({
        series: [{ labels: toLabelPairs({ service_name: 'x' }), samples: [{ rawProfile: goCpu.subarray(0, 100) }] }],
      }),
      (e) => e instanceof ConnectError && e.code === 3 && /ERR_FORMAT/.test(e.message),
    );
  });
});

describe('legacy /ingest stack formats', () => {
  const stacks = 'main;work;hot 3\nmain;idle 1\n';
  const cases: [string, Record<string, string>, Uint8Array | string, string][] = [
    ['folded', {}, stacks, 'text/plain'],
    ['lines', { format: 'lines' }, 'main;work;hot\nmain;work;hot\nmain;work;hot\nmain;idle\n', 'text/plain'],
    ['trie', { format: 'trie' }, serializeTrie(stacks), 'binary/octet-stream+trie'],
    ['tree', { format: 'tree' }, serializeTree(stacks), 'binary/octet-stream+tree'],
  ];
  for (const [name, params, body, contentType] of cases) {
    test(`${name}: app.cpu with sampleRate 100 is CPU nanoseconds (10 ms per sample)`, async () => {
      const app = `stacks-${name}`;
      const from = String(Math.floor(goTimeMs / 1000));
      const res = await post(
        `/ingest?${q({ name: `${app}.cpu{region=eu}`, from, sampleRate: '100', ...params })}`,
        body,
        {
          'content-type': contentType,
        },
      );
      assert.equal(res.status, 200, await res.text());
      const fg = await s.querier().selectMergeStacktraces({
        profileTypeID: CPU,
        labelSelector: `{service_name="${app}", region="eu"}`,
        start: BigInt(range.from),
        end: BigInt(range.until),
      });
      assert.equal(fg.flamegraph!.total, 40_000_000n);
      assert.ok(fg.flamegraph!.names.includes('hot'));
    });
  }

  test('alloc_space suffix: memory:alloc_space:bytes:: with raw values', async () => {
    const res = await post(
      `/ingest?${q({ name: 'mem-app.alloc_space', from: String(Math.floor(goTimeMs / 1000)) })}`,
      'a;b 4096\n',
    );
    assert.equal(res.status, 200, await res.text());
    const fg = await s.querier().selectMergeStacktraces({
      profileTypeID: 'memory:alloc_space:bytes::',
      labelSelector: '{service_name="mem-app"}',
      start: BigInt(range.from),
      end: BigInt(range.until),
    });
    assert.equal(fg.flamegraph!.total, 4096n);
  });

  test('Go SDK multipart with sample_type_config, gzip bodies and Content-Encoding', async () => {
    const form = new FormData();
    form.append('profile', new Blob([goCpu]), 'profile.pprof');
    form.append(
      'sample_type_config',
      new Blob([JSON.stringify({ cpu: { units: 'samples' } })]),
      'sample_type_config.json',
    );
    const res = await post(`/ingest?${q({ name: 'multi-app{__session_id__=abc}', spyName: 'gospy' })}`, form);
    assert.equal(res.status, 200, await res.text());
    const fg = await s.querier().selectMergeStacktraces({
      profileTypeID: CPU,
      labelSelector: '{service_name="multi-app"}',
      start: BigInt(range.from),
      end: BigInt(range.until),
    });
    assert.equal(fg.flamegraph!.total, 7_000_000_000n);
  });
});

describe('tenants', () => {
  test('X-Scope-OrgID separates data; the default tenant sees none of another tenant', async () => {
    const res = await post(`/ingest?${q({ name: 'secret-app', format: 'pprof' })}`, goCpu, {
      'x-scope-orgid': 'team-b',
    });
    assert.equal(res.status, 200);
    const mine = await s.querier(true, 'team-b').labelValues({
      name: 'service_name',
      matchers: [],
      start: BigInt(range.from),
      end: BigInt(range.until),
    });
    assert.deepEqual(mine.names, ['secret-app']);
    const theirs = await s
      .querier()
      .labelValues({ name: 'service_name', matchers: [], start: BigInt(range.from), end: BigInt(range.until) });
    assert.ok(!theirs.names.includes('secret-app'));
    const bad = await post(`/ingest?${q({ name: 'x', format: 'pprof' })}`, goCpu, {
      'x-scope-orgid': 'no spaces/allowed',
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'ERR_TENANT_INVALID');
  });
});

describe('operations', () => {
  test('/ready and /metrics with ingest, query and rejection figures', async () => {
    assert.equal((await get('/ready')).status, 200);
    await post(`/ingest?${q({ name: 'x.nope' })}`, 'a 1');
    const text = await (await get('/metrics')).text();
    assert.match(text, /kiln_ingested_profiles_total\{tenant="anonymous",source="ingest"\} \d+/);
    assert.match(text, /kiln_queries_total\{kind="[a-z_]+"\} \d+/);
    assert.match(text, /kiln_store_data_bytes \d+/);
    assert.match(text, /kiln_http_requests_total\{route="\/ingest",status="400"\} \d+/);
  });
});

describe('shutdown', () => {
  test(
    'a request stuck in flight holds close() only for graceful_shutdown_timeout_ms; keep-alive connections close once idle',
    { timeout: 20_000 },
    async () => {
      const t = await startTestServer({ gracefulShutdownTimeoutMs: 1_500 });
      const port = Number(new URL(t.url).port);
      // A keep-alive connection that finished a request (idle), one whose request finishes
      // after close() began (idle from then on), and one whose request never ends.
      const idle = connect({ host: '127.0.0.1', port });
      const late = connect({ host: '127.0.0.1', port });
      const stuck = connect({ host: '127.0.0.1', port });
      const sockets = [idle, late, stuck];
      try {
        // Read whatever comes (a socket that is never read never sees its end, nor closes).
        const closedAt = sockets.map(
          (sock) => new Promise<number>((r) => sock.on('close', () => r(performance.now())).resume()),
        );
        await Promise.all(sockets.map((sock) => new Promise<void>((r) => sock.once('connect', () => r()))));
        idle.write('GET /ready HTTP/1.1\r\nHost: kiln\r\n\r\n');
        await new Promise<void>((r) => idle.once('data', () => r()));
        const body = 'main;work 1\n';
        const head = `POST /ingest?name=late&format=folded HTTP/1.1\r\nHost: kiln\r\nContent-Length: ${body.length}\r\n\r\n`;
        late.write(head + body.slice(0, 4));
        stuck.write('POST /ingest?name=x HTTP/1.1\r\nHost: kiln\r\nContent-Length: 100\r\n\r\nonly part of the body');
        await new Promise((r) => setTimeout(r, 100));
        const started = performance.now();
        const closing = t.server.close(); // The server's own close, as SIGTERM runs it.
        await new Promise((r) => setTimeout(r, 200));
        late.write(body.slice(4));
        await closing;
        const took = performance.now() - started;
        const [idleAt, lateAt, stuckAt] = await Promise.all(closedAt);
        assert.ok(took >= 1_400 && took < 5_000, `close() took ${Math.round(took)} ms`);
        assert.ok(idleAt! - started < 500, 'the idle keep-alive connection is closed at once');
        assert.ok(lateAt! - started < 1_000, 'the connection whose request finished is closed once idle');
        assert.ok(stuckAt! - started >= 1_400, 'the request in flight had its grace period');
      } finally {
        for (const sock of sockets) sock.destroy();
        rmSync(t.dataDir, { recursive: true, force: true });
      }
    },
  );
});

describe('metrics kinds', () => {
  test('Connect queries are timed as snake_case query kinds; Push is not a query', async () => {
    await s.pusher().push({
      series: [{ labels: toLabelPairs({ service_name: 'metrics-push' }), samples: [{ rawProfile: goCpu }] }],
    });
    await s.querier().labelNames({ matchers: [], start: BigInt(range.from), end: BigInt(range.until) });
    const text = await (await get('/metrics')).text();
    assert.match(text, /kiln_query_duration_seconds_count\{kind="label_names"\} \d+/);
    assert.doesNotMatch(text, /kind="(connect_)?[Pp]ush"/);
    assert.match(text, /kiln_ingested_profiles_total\{tenant="anonymous",source="push"\} \d+/);
  });
});
