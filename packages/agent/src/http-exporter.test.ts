import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AgentError } from './agent-error.js';
import type { CollectedProfile } from './exporter.js';
import { HttpExporter, buildIngestUrl, parseRetryAfterMs } from './http-exporter.js';
import { buildSeriesLabels } from './series-labels.js';
import { Receiver, reservePort } from './test-helpers/receiver.js';

// Uploads of the official @pyroscope/nodejs 0.6.4, recorded on 127.0.0.1 (provenance in
// testdata/pyroscope-nodejs/README.md): app `probe.app`, tags env=probe, region=local.
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'testdata', 'pyroscope-nodejs');

interface RecordedRequest {
  url: string;
  headers: Record<string, string>;
  bodyFile: string;
}

function readFixture(name: string): { request: RecordedRequest; url: URL; body: Buffer } {
  const request = JSON.parse(readFileSync(join(FIXTURES, `${name}.request.json`), 'utf8')) as RecordedRequest;
  return { request, url: new URL(request.url, 'http://fixture'), body: readFileSync(join(FIXTURES, request.bodyFile)) };
}

/** Label keys of a Pyroscope `name` parameter, in order. */
function labelKeys(name: string): string[] {
  return name
    .slice(name.indexOf('{') + 1, -1)
    .split(',')
    .map((pair) => pair.slice(0, pair.indexOf('=')));
}

let receiver: Receiver;
before(async () => {
  receiver = await Receiver.start();
});
after(() => receiver.close());

for (const [fixture, kind] of [
  ['wall-cpu-001', 'cpu'],
  ['heap-002', 'heap'],
] as const) {
  test(`sends a ${kind} profile the way @pyroscope/nodejs 0.6.4 does (${fixture})`, async () => {
    const official = readFixture(fixture);
    const profile: CollectedProfile = {
      kind,
      pprofGzip: official.body,
      startMs: Number(official.url.searchParams.get('from')) * 1000 + 999,
      endMs: Number(official.url.searchParams.get('until')) * 1000 + 1,
      labels: buildSeriesLabels({ env: 'probe', region: 'local' }, '20.20.2'),
      ...(kind === 'cpu' && { sampleRateHz: 100 }),
    };
    const exporter = new HttpExporter({ serverAddress: receiver.url, appName: 'probe.app' });
    await exporter.export(profile);
    exporter.close();
    const ours = receiver.requests.at(-1)!;

    assert.equal(ours.method, 'POST');
    assert.equal(ours.path, official.url.pathname);
    assert.deepEqual([...ours.query.keys()], [...official.url.searchParams.keys()], 'same parameters, same order');
    for (const key of ['format', 'spyName', 'from', 'until']) {
      assert.equal(ours.query.get(key), official.url.searchParams.get(key), key);
    }
    const ourName = ours.query.get('name')!;
    const officialName = official.url.searchParams.get('name')!;
    assert.equal(ourName.slice(0, ourName.indexOf('{')), 'probe.app');
    assert.deepEqual(labelKeys(ourName), labelKeys(officialName), 'same labels in the same order');
    assert.match(ourName, /,env=probe,region=local\}$/);
    // The SDK's sampleRate is ceil(1e6 / samplingDurationMs) = 334 here, a bug; ours is the rate.
    if (kind === 'cpu') assert.equal(ours.query.get('sampleRate'), '100');
    assert.equal(ours.headers['content-type'], official.request.headers['content-type']);
    assert.equal(ours.headers['content-encoding'], undefined);
    assert.equal(ours.headers['content-length'], official.request.headers['content-length']);
    assert.ok(ours.body.equals(official.body), 'the body is the gzipped pprof, byte for byte');
  });
}

const cpuProfile: CollectedProfile = {
  kind: 'cpu',
  pprofGzip: new Uint8Array([0x1f, 0x8b, 8, 0]),
  startMs: 1_795_585_764_000,
  endMs: 1_795_585_774_500,
  labels: { env: 'prod' },
  sampleRateHz: 100,
};

test('buildIngestUrl keeps a path prefix, drops trailing slashes, floors times to seconds', () => {
  const url = buildIngestUrl('https://profiles.example.com/pyroscope/', 'shop', cpuProfile);
  assert.equal(
    url.toString(),
    'https://profiles.example.com/pyroscope/ingest?format=pprof&from=1795585764&name=shop%7Benv%3Dprod%7D' +
      '&spyName=nodespy&until=1795585774&sampleRate=100',
  );
});

test('auth: Bearer wins over basic auth (as in the SDK); basic needs user and password; tenant header', async () => {
  const cases = [
    [{ authToken: 't0k', basicAuthUser: 'u', basicAuthPassword: 'p' }, 'Bearer t0k'],
    [{ basicAuthUser: 'user', basicAuthPassword: 'pa:ss' }, `Basic ${Buffer.from('user:pa:ss').toString('base64')}`],
    [{ basicAuthUser: 'user' }, undefined],
    [{}, undefined],
  ] as const;
  for (const [auth, expected] of cases) {
    const exporter = new HttpExporter({ serverAddress: receiver.url, appName: 'a', tenantId: 'org-1', ...auth });
    await exporter.export(cpuProfile);
    exporter.close();
    const request = receiver.requests.at(-1)!;
    assert.equal(request.headers['authorization'], expected, JSON.stringify(auth));
    assert.equal(request.headers['x-scope-orgid'], 'org-1');
  }
});

async function exportError(exporter: HttpExporter): Promise<AgentError> {
  try {
    await exporter.export(cpuProfile);
  } catch (err) {
    assert.ok(err instanceof AgentError);
    return err;
  } finally {
    exporter.close();
  }
  assert.fail('the export succeeded');
}

test('errors say whether to retry: 5xx, 429, 408, timeouts and refused connections yes; other 4xx no', async () => {
  const exporter = (options: { requestTimeoutMs?: number } = {}) =>
    new HttpExporter({ serverAddress: receiver.url, appName: 'a', ...options });
  for (const [status, retryable] of [
    [503, true],
    [500, true],
    [429, true],
    [408, true],
    [400, false],
    [401, false],
    [413, false],
  ] as const) {
    receiver.status = status;
    const err = await exportError(exporter());
    assert.equal(err.code, 'ERR_AGENT_UPLOAD_STATUS');
    assert.equal(err.details.status, status);
    assert.equal(err.retryable, retryable, `HTTP ${status}`);
    assert.match(err.message, new RegExp(`HTTP ${status}: .*test receiver says no`));
  }

  receiver.status = 503;
  receiver.responseHeaders = { 'retry-after': '3' };
  assert.equal((await exportError(exporter())).retryAfterMs, 3000, 'Retry-After is passed on');
  receiver.responseHeaders = {};

  receiver.status = 0; // accept, never answer
  const started = Date.now();
  const timeout = await exportError(exporter({ requestTimeoutMs: 200 }));
  assert.equal(timeout.code, 'ERR_AGENT_UPLOAD_TIMEOUT');
  assert.ok(timeout.retryable);
  assert.ok(Date.now() - started < 1000, 'the deadline held');
  receiver.status = 200;

  const refused = await exportError(
    new HttpExporter({ serverAddress: `http://127.0.0.1:${await reservePort()}`, appName: 'a' }),
  );
  assert.equal(refused.code, 'ERR_AGENT_UPLOAD_NETWORK');
  assert.equal(refused.details.code, 'ECONNREFUSED');
  assert.ok(refused.retryable);
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfterMs('7', 0), 7000);
  assert.equal(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('2015-10-21T07:28:00Z')), 10_000);
  assert.equal(parseRetryAfterMs('soon', 0), undefined);
  assert.equal(parseRetryAfterMs(undefined, 0), undefined);
});

test('a server address that is not an http(s) URL is refused up front', () => {
  for (const serverAddress of ['localhost:4040', 'ftp://host', '']) {
    assert.throws(() => new HttpExporter({ serverAddress, appName: 'a' }), { code: 'ERR_AGENT_INVALID_OPTIONS' });
  }
});
