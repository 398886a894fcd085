import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { PushRequestSchema, toLabelPairs } from '@kiln/api';
import { startTestServer, type TestServer } from '../test-helpers/server.js';
import { testdata } from '../test-helpers/testdata.js';

// Every route tried with bad input: each answer is a 4xx with a code, the server keeps serving,
// and nothing already stored changes.

const goCpu = readFileSync(testdata('go', 'cpu.pb.gz'));
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const MB = 1024 * 1024;

let s: TestServer;
let from = '';
let until = '';

interface Case {
  name: string;
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  status: number;
  /** Kiln code in `code`, or (Connect routes) in the message after the Connect code. */
  code: string;
}

/** Raw HTTP, so nothing in a client library cleans the request up first. */
function send(
  c: Omit<Case, 'status' | 'code' | 'name'>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(c.path, s.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: c.method ?? 'POST', headers: { 'content-type': 'application/octet-stream', ...c.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

/** What the store holds: flame graph, series and label values, as JSON text. */
async function snapshot(): Promise<string> {
  const fg = await fetch(`${s.url}/pyroscope/render?${new URLSearchParams({ query: `${CPU}{}`, from, until })}`);
  const series = await s
    .querier(false)
    .series({ matchers: [], labelNames: [], start: BigInt(from), end: BigInt(until) });
  return JSON.stringify([await fg.json(), series.labelsSet]);
}

const pushBody = (labels: Record<string, string>, raw: Uint8Array): Uint8Array =>
  toBinary(
    PushRequestSchema,
    create(PushRequestSchema, { series: [{ labels: toLabelPairs(labels), samples: [{ rawProfile: raw }] }] }),
  );

const multipart = (parts: string): { body: string; headers: Record<string, string> } => ({
  body: parts,
  headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
});

const cases: Case[] = [
  // Legacy ingest
  { name: 'no name', path: '/ingest?format=pprof', body: goCpu, status: 400, code: 'ERR_INGEST_INVALID_NAME' },
  {
    name: 'name with a space',
    path: '/ingest?name=a%20b&format=pprof',
    body: goCpu,
    status: 400,
    code: 'ERR_INGEST_INVALID_NAME',
  },
  {
    name: 'unclosed labels',
    path: '/ingest?name=app%7Benv%3Dx&format=pprof',
    body: goCpu,
    status: 400,
    code: 'ERR_INGEST_INVALID_NAME',
  },
  {
    name: 'broken query string escapes',
    path: '/ingest?name=%zz%&from=%',
    body: goCpu,
    status: 400,
    code: 'ERR_INGEST_INVALID_NAME',
  },
  {
    name: 'garbage from',
    path: '/ingest?name=app&format=pprof&from=yesterday',
    body: goCpu,
    status: 400,
    code: 'ERR_INGEST_INVALID_TIME',
  },
  { name: 'jfr', path: '/ingest?name=app&format=jfr', body: 'x', status: 415, code: 'ERR_INGEST_UNSUPPORTED_FORMAT' },
  { name: 'empty body', path: '/ingest?name=app&format=pprof', body: '', status: 400, code: 'ERR_INGEST_EMPTY' },
  {
    name: 'broken gzip',
    path: '/ingest?name=app&format=pprof',
    body: Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]),
    status: 400,
    code: 'ERR_FORMAT_BAD_GZIP',
  },
  {
    name: 'truncated pprof',
    path: '/ingest?name=app&format=pprof',
    body: gzipSync(gunzipSync(goCpu).subarray(0, 5000)),
    status: 400,
    code: 'ERR_FORMAT_TRUNCATED',
  },
  {
    name: 'not pprof at all',
    path: '/ingest?name=app&format=pprof',
    body: 'hello, world',
    status: 400,
    code: 'ERR_INGEST_NOT_PPROF',
  },
  {
    name: 'unknown format, not folded',
    path: '/ingest?name=app.cpu&format=xyz',
    body: 'a;b notanumber\n',
    status: 400,
    code: 'ERR_INGEST_INVALID_BODY',
  },
  {
    name: 'unknown suffix',
    path: '/ingest?name=app.nope',
    body: 'a;b 1\n',
    status: 400,
    code: 'ERR_INGEST_UNKNOWN_PROFILE_TYPE',
  },
  {
    name: 'broken trie',
    path: '/ingest?name=app.cpu&format=trie',
    body: Uint8Array.from([5, 0x61]),
    status: 400,
    code: 'ERR_FORMAT_TRUNCATED',
  },
  {
    name: 'multipart without a profile part',
    path: '/ingest?name=app',
    ...multipart('--XyZ\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--XyZ--\r\n'),
    status: 400,
    code: 'ERR_INGEST_MISSING_PART',
  },
  {
    name: 'multipart that does not parse',
    path: '/ingest?name=app',
    ...multipart('this is not multipart'),
    status: 400,
    code: 'ERR_INGEST_INVALID_BODY',
  },
  {
    name: 'a gzip bomb as folded text',
    path: '/ingest?name=app.cpu',
    headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' },
    body: gzipSync(Buffer.alloc(8 * MB, 'a;b 1\n')),
    status: 413,
    code: 'ERR_FORMAT_TOO_LARGE',
  },
  {
    name: 'a body over max_request_body_bytes',
    path: '/ingest?name=app.cpu',
    body: Buffer.alloc(3 * MB, 'a;b 1\n'),
    status: 413,
    code: 'ERR_HTTP_BODY_TOO_LARGE',
  },
  {
    name: 'a 10 MB name',
    path: `/ingest?name=${'a'.repeat(10 * MB)}`,
    body: 'a 1',
    status: 431,
    code: 'ERR_HTTP_REQUEST_TOO_LARGE',
  },
  {
    name: 'too many labels',
    path: `/ingest?name=app.cpu%7B${Array.from({ length: 40 }, (_, i) => `l${i}%3Dv`).join(',')}%7D`,
    body: 'a;b 1\n',
    status: 400,
    code: 'ERR_STORAGE_TOO_MANY_LABELS',
  },
  {
    name: 'an invalid tenant',
    path: '/ingest?name=app.cpu',
    headers: { 'x-scope-orgid': 'a/b' },
    body: 'a 1',
    status: 400,
    code: 'ERR_TENANT_INVALID',
  },
  // Queries
  {
    name: 'render without query',
    method: 'GET',
    path: '/pyroscope/render',
    status: 400,
    code: 'ERR_QUERY_MISSING_PARAMETER',
  },
  {
    name: 'render with a broken selector',
    method: 'GET',
    path: `/pyroscope/render?query=${encodeURIComponent(`${CPU}{a=`)}`,
    status: 400,
    code: 'ERR_QUERY_INVALID_SELECTOR',
  },
  {
    name: 'render with a bad regex',
    method: 'GET',
    path: `/pyroscope/render?query=${encodeURIComponent(`${CPU}{a=~"("}`)}`,
    status: 400,
    code: 'ERR_QUERY_INVALID_SELECTOR',
  },
  {
    name: 'render with from after until',
    method: 'GET',
    path: `/pyroscope/render?query=${CPU}&from=2000&until=1000`,
    status: 400,
    code: 'ERR_QUERY_INVALID_RANGE',
  },
  {
    name: 'render with maxNodes abc',
    method: 'GET',
    path: `/pyroscope/render?query=${CPU}&maxNodes=abc`,
    status: 400,
    code: 'ERR_QUERY_INVALID_MAX_NODES',
  },
  {
    name: 'render with maxNodes -1',
    method: 'GET',
    path: `/render?query=${CPU}&max-nodes=-1`,
    status: 400,
    code: 'ERR_QUERY_INVALID_MAX_NODES',
  },
  {
    name: 'render with an unknown format',
    method: 'GET',
    path: `/render?query=${CPU}&format=gif`,
    status: 400,
    code: 'ERR_QUERY_INVALID_FORMAT',
  },
  {
    name: 'render with a 10 MB query',
    method: 'GET',
    path: `/render?query=${'x'.repeat(10 * MB)}`,
    status: 431,
    code: 'ERR_HTTP_REQUEST_TOO_LARGE',
  },
  {
    name: 'render-diff without leftQuery',
    method: 'GET',
    path: `/pyroscope/render-diff?rightQuery=${CPU}`,
    status: 400,
    code: 'ERR_QUERY_MISSING_PARAMETER',
  },
  {
    name: 'render-diff across profile types',
    method: 'GET',
    path: `/pyroscope/render-diff?leftQuery=${CPU}&rightQuery=memory:alloc_space:bytes:space:bytes`,
    status: 400,
    code: 'ERR_QUERY_PROFILE_TYPE_MISMATCH',
  },
  {
    name: 'label-values without label',
    method: 'GET',
    path: '/pyroscope/label-values',
    status: 400,
    code: 'ERR_QUERY_MISSING_PARAMETER',
  },
  {
    name: 'v0.x label-values without label',
    method: 'GET',
    path: '/label-values',
    status: 400,
    code: 'ERR_QUERY_MISSING_PARAMETER',
  },
  {
    name: 'labels with a broken query',
    method: 'GET',
    path: '/labels?query=app%7Ba%3D',
    status: 400,
    code: 'ERR_QUERY_INVALID_SELECTOR',
  },
  { name: 'an unknown route', method: 'GET', path: '/nope', status: 404, code: 'ERR_HTTP_NOT_FOUND' },
  // Connect
  {
    name: 'Connect: a malformed binary message',
    path: '/querier.v1.QuerierService/SelectMergeStacktraces',
    headers: { 'content-type': 'application/proto' },
    body: Uint8Array.from([0x0a, 0xff, 0xff, 0xff]),
    status: 400,
    code: 'invalid_argument',
  },
  {
    name: 'Connect: malformed JSON',
    path: '/querier.v1.QuerierService/SelectMergeStacktraces',
    headers: { 'content-type': 'application/json' },
    body: '{"profileTypeID": ',
    status: 400,
    code: 'invalid_argument',
  },
  {
    name: 'Connect: a wrong content type',
    path: '/querier.v1.QuerierService/LabelNames',
    headers: { 'content-type': 'text/plain' },
    body: '{}',
    status: 415,
    code: 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'Connect: no profile type',
    path: '/querier.v1.QuerierService/SelectMergeStacktraces',
    headers: { 'content-type': 'application/json' },
    body: '{"labelSelector":"{}"}',
    status: 400,
    code: 'ERR_QUERY_MISSING_PROFILE_TYPE',
  },
  {
    name: 'Connect: a broken selector',
    path: '/querier.v1.QuerierService/LabelValues',
    headers: { 'content-type': 'application/json' },
    body: '{"name":"env","matchers":["{a="]}',
    status: 400,
    code: 'ERR_QUERY_INVALID_SELECTOR',
  },
  {
    name: 'Connect push: a profile that is not pprof',
    path: '/push.v1.PusherService/Push',
    headers: { 'content-type': 'application/proto' },
    body: pushBody({ service_name: 'x' }, Buffer.from('not a profile')),
    status: 400,
    code: 'ERR_INGEST_NOT_PPROF',
  },
  {
    name: 'Connect push: broken gzip framing',
    path: '/push.v1.PusherService/Push',
    headers: { 'content-type': 'application/proto', 'content-encoding': 'gzip' },
    body: Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]),
    status: 400,
    code: 'invalid_argument',
  },
  {
    name: 'Connect push: a 2 MB label value',
    path: '/push.v1.PusherService/Push',
    headers: { 'content-type': 'application/proto' },
    body: pushBody({ service_name: 'x', pod: 'p'.repeat(2 * MB) }, goCpu),
    status: 400,
    code: 'ERR_STORAGE_LABEL_VALUE_TOO_LONG',
  },
  {
    name: 'Connect push: JSON with a wrong field type',
    path: '/push.v1.PusherService/Push',
    headers: { 'content-type': 'application/json' },
    body: '{"series": 5}',
    status: 400,
    code: 'invalid_argument',
  },
];

before(async () => {
  s = await startTestServer({ maxRequestBodyBytes: 3 * MB - 1, maxDecompressedBytes: 4 * MB });
  const res = await fetch(`${s.url}/ingest?name=stable-app%7Benv%3Dprod%7D&format=pprof`, {
    method: 'POST',
    body: goCpu,
  });
  assert.equal(res.status, 200);
  const t = Date.now();
  from = String(t - 30 * 86_400_000);
  until = String(t + 86_400_000);
});

after(async () => {
  await s.stop();
});

describe('bad input on every route', () => {
  test('each gets a 4xx with a code; the server keeps serving; stored data does not change', async () => {
    const before = await snapshot();
    for (const c of cases) {
      const res = await send(c);
      assert.equal(res.status, c.status, `${c.name}: status ${res.status} ${res.body.slice(0, 300)}`);
      let body: { code: string; message: string };
      try {
        body = JSON.parse(res.body) as { code: string; message: string };
      } catch {
        assert.fail(`${c.name}: status ${res.status}, the body is not JSON: ${JSON.stringify(res.body.slice(0, 200))}`);
      }
      assert.ok(
        body.code === c.code || body.message.startsWith(`${c.code}:`),
        `${c.name}: expected ${c.code}, got ${res.body.slice(0, 300)}`,
      );
      assert.ok(body.message.length > 0, c.name);
      assert.equal((await fetch(`${s.url}/ready`)).status, 200, `${c.name}: the server stopped serving`);
    }
    assert.equal(await snapshot(), before);
  });
});

describe('limits that depend on the tenant', () => {
  test('ingest rate per tenant: 429 with Retry-After; other tenants unaffected', async () => {
    const limited = await startTestServer({ ingestRateBytesPerSecond: 1000, ingestBurstBytes: 2000 });
    try {
      const post = (tenant: string) =>
        fetch(`${limited.url}/ingest?name=app.cpu`, {
          method: 'POST',
          body: 'a;b 1\n'.repeat(200),
          headers: { 'x-scope-orgid': tenant },
        });
      assert.equal((await post('a')).status, 200);
      const refused = await post('a');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.equal(((await refused.json()) as { code: string }).code, 'ERR_INGEST_RATE_LIMITED');
      assert.equal((await post('b')).status, 200);
      const metrics = await (await fetch(`${limited.url}/metrics`)).text();
      assert.match(metrics, /kiln_rejected_profiles_total\{tenant="a",reason="rate_limited"\} 1/);
    } finally {
      await limited.stop();
    }
  });

  test('series per tenant: 429 ERR_STORAGE_SERIES_LIMIT; existing series still accepted', async () => {
    const limited = await startTestServer({ maxSeriesPerTenant: 1 });
    try {
      const post = (app: string) => fetch(`${limited.url}/ingest?name=${app}.cpu`, { method: 'POST', body: 'a;b 1\n' });
      assert.equal((await post('one')).status, 200);
      const refused = await post('two');
      assert.equal(refused.status, 429);
      assert.equal(((await refused.json()) as { code: string }).code, 'ERR_STORAGE_SERIES_LIMIT');
      assert.equal((await post('one')).status, 200);
    } finally {
      await limited.stop();
    }
  });

  test('samples per profile and label name length: named 400s from a server configured small', async () => {
    const limited = await startTestServer({ maxSamplesPerProfile: 10, maxLabelNameLength: 8 });
    try {
      const tooMany = await fetch(`${limited.url}/ingest?name=app&format=pprof`, { method: 'POST', body: goCpu });
      assert.equal(tooMany.status, 400);
      assert.equal(((await tooMany.json()) as { code: string }).code, 'ERR_FORMAT_TOO_MANY_SAMPLES');
      const longName = await fetch(`${limited.url}/ingest?name=app.cpu%7Bverylonglabel%3Dx%7D`, {
        method: 'POST',
        body: 'a 1',
      });
      assert.equal(longName.status, 400);
      assert.equal(((await longName.json()) as { code: string }).code, 'ERR_STORAGE_LABEL_NAME_TOO_LONG');
    } finally {
      await limited.stop();
    }
  });
});

describe('push as the Rust, Python and .NET SDKs send it', () => {
  test('gzip application/proto without Connect-Protocol-Version is accepted', async () => {
    const res = await send({
      path: '/push.v1.PusherService/Push',
      headers: { 'content-type': 'application/proto', 'content-encoding': 'gzip' },
      body: gzipSync(pushBody({ __name__: 'process_cpu', service_name: 'rust-style' }, goCpu)),
    });
    assert.equal(res.status, 200, res.body);
    const values = await s
      .querier()
      .labelValues({ name: 'service_name', matchers: [], start: BigInt(from), end: BigInt(until) });
    assert.ok(values.names.includes('rust-style'));
  });
});
