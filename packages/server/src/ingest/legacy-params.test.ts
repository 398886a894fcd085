import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTrie } from '@kiln/formats';
import { buildCallTree, isKilnError, sumValues } from '@kiln/model';
import { INGEST_ERRORS, type IngestErrorCode } from './errors.js';
import {
  checkIngestFormat,
  parseAppName,
  parseIngestParams,
  parseIngestTime,
  profileTypeFor,
  selectIngestFormat,
  seriesLabelsFor,
} from './legacy-params.js';

function throwsCode(fn: () => unknown, code: IngestErrorCode, message?: RegExp): void {
  assert.throws(fn, (err) => {
    assert.ok(isKilnError(err), `not a KilnError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.details['reason'], INGEST_ERRORS[code].reason);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

test('name (§1.3): app alone, labels, trimming, values with any character but , and }', () => {
  assert.deepEqual(parseAppName('myapp'), { appName: 'myapp', serviceName: 'myapp', suffix: '', labels: {} });
  assert.deepEqual(parseAppName(' myapp.cpu { env = prod , region=eu-west-1 } '), {
    appName: 'myapp.cpu',
    serviceName: 'myapp',
    suffix: 'cpu',
    labels: { env: 'prod', region: 'eu-west-1' },
  });
  // Current Pyroscope allows `/` in app names; values may hold `=`, `{`, `/`, spaces inside.
  assert.deepEqual(parseAppName('team/svc{q=a=b{c, path=/x y/z,}').labels, { q: 'a=b{c', path: '/x y/z' });
  assert.equal(parseAppName('team/svc{}').appName, 'team/svc');
  // The last of a repeated key wins; an empty value is no label.
  assert.deepEqual(parseAppName('app{a=1,a=2,b=}').labels, { a: '2' });
});

test('name (§1.12): what the Go and Node SDKs send', () => {
  const go = parseAppName(
    'checkout{__session_id__=5b2e0c1a9f3d4e61,otel.scope.name=com.grafana.pyroscope/go,otel.scope.version=1.2.0,process.runtime.name=go,process.runtime.version=go1.22.3,region=us}',
  );
  assert.equal(go.appName, 'checkout');
  assert.deepEqual(go.labels, {
    __session_id__: '5b2e0c1a9f3d4e61',
    'otel.scope.name': 'com.grafana.pyroscope/go',
    'otel.scope.version': '1.2.0',
    'process.runtime.name': 'go',
    'process.runtime.version': 'go1.22.3',
    region: 'us',
  });
  const node = parseAppName(
    'shop-api{otel.scope.name=com.grafana.pyroscope/nodejs,otel.scope.version=0.6.4,process.runtime.name=nodejs,process.runtime.version=v20.20.2,pod=shop-7d9f}',
  );
  assert.equal(node.serviceName, 'shop-api');
  assert.equal(node.labels['pod'], 'shop-7d9f');
  // A v0.x agent: the suffix is the profile type.
  assert.deepEqual(parseAppName('ride-sharing-app.alloc_objects{region=eu}').suffix, 'alloc_objects');
});

test('name: reserved labels are dropped except __session_id__; profile_id is reported', () => {
  const n = parseAppName('app{__name__=other,__delta__=true,__session_id__=s1,profile_id=abc,__x=1}');
  assert.equal(n.appName, 'app');
  assert.deepEqual(n.labels, { __session_id__: 's1', profile_id: 'abc' });
  assert.equal(n.profileId, 'abc');
  assert.equal(parseAppName('app{profile_id=}').profileId, undefined);
});

test('name: broken names are ERR_INGEST_INVALID_NAME naming the part', () => {
  throwsCode(() => parseAppName(''), 'ERR_INGEST_INVALID_NAME', /`name` parameter is required/);
  throwsCode(() => parseAppName('  {env=prod}'), 'ERR_INGEST_INVALID_NAME', /required/);
  throwsCode(() => parseAppName('my app'), 'ERR_INGEST_INVALID_NAME', /"my app" has " "/);
  throwsCode(() => parseAppName('café'), 'ERR_INGEST_INVALID_NAME', /"é"/);
  throwsCode(() => parseAppName('app}'), 'ERR_INGEST_INVALID_NAME', /"}"/);
  throwsCode(() => parseAppName('app{env=prod'), 'ERR_INGEST_INVALID_NAME', /no closing }/);
  throwsCode(() => parseAppName('app{env=prod}.cpu'), 'ERR_INGEST_INVALID_NAME', /text after its closing }/);
  throwsCode(() => parseAppName('app{env}'), 'ERR_INGEST_INVALID_NAME', /label "env" .* has no =value/);
  throwsCode(() => parseAppName('app{a=1,,b=2}'), 'ERR_INGEST_INVALID_NAME', /has no =value/);
  throwsCode(() => parseAppName('app{=v}'), 'ERR_INGEST_INVALID_NAME', /has no name/);
  throwsCode(() => parseAppName('app{env-name=v}'), 'ERR_INGEST_INVALID_NAME', /label name "env-name"/);
  throwsCode(() => parseAppName('.cpu'), 'ERR_INGEST_INVALID_NAME', /only a suffix/);
});

test('time (§1.4): digit count picks s, ms, µs, ns; YYYYMMDD; what each client sends', () => {
  const cases: [string, number][] = [
    ['1700000000', 1_700_000_000_000], // Node and Java SDKs, v0.x agent: seconds
    ['1700000000123', 1_700_000_000_123], // Grafana Drilldown: 13 digits, ms
    ['1700000000123456', 1_700_000_000_123], // 16 digits, µs
    ['1700000000123456789', 1_700_000_000_123], // Go SDK: 19 digits, ns (sub-ms cut)
    ['20230415', Date.UTC(2023, 3, 15)], // 8 digits forming a date
    ['20230231', 20_230_231_000], // not a date: seconds
    ['18991231', 18_991_231_000], // not after 1900: seconds
    ['0', 0],
    ['1_700_000_000', 1_700_000_000_000], // `_`, `,` and spaces are ignored
    [' 1,700,000,000 ', 1_700_000_000_000],
  ];
  for (const [value, ms] of cases) assert.equal(parseIngestTime(value, NOW), ms, value);
});

test('time (§1.4): now and relative offsets, units by prefix', () => {
  const m = 60_000;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [string | undefined, number][] = [
    [undefined, NOW],
    ['', NOW],
    ['now', NOW],
    ['now-1h', NOW - h],
    ['now-30m', NOW - 30 * m],
    ['now+10s', NOW + 10_000],
    ['now-5min', NOW - 5 * m],
    ['now-2d', NOW - 2 * d],
    ['now-1w', NOW - 7 * d],
    ['now-1mon', NOW - 30 * d],
    ['now-1M', NOW - 30 * d],
    ['now-1y', NOW - 365 * d],
    ['now-1h30m', NOW - h - 30 * m],
    ['now-7days', NOW - 7 * d],
    ['-1h', NOW - h],
    ['now-2ms', NOW - 2 * m], // Pyroscope matches units by prefix: `ms` is minutes
  ];
  for (const [value, ms] of cases) assert.equal(parseIngestTime(value, NOW), ms, value);
});

test('time: anything else is ERR_INGEST_INVALID_TIME', () => {
  for (const value of [
    'yesterday',
    'now-1x',
    'now-',
    'now-h',
    'now-1h+30m',
    'then-1h',
    '2023-01-01',
    '1.5',
    '99999999999999999999',
    '9999999999999999999', // 19 digits past int64
    '99999999999999', // 14 digits of seconds: past any Date
  ]) {
    throwsCode(() => parseIngestTime(value, NOW), 'ERR_INGEST_INVALID_TIME', /neither Unix time/);
  }
});

test('format (§1.5): the ordered switch, including its surprising consequence', () => {
  const cases: [string | undefined, string | undefined, string][] = [
    ['trie', undefined, 'trie'],
    [undefined, 'binary/octet-stream+trie', 'trie'],
    ['tree', undefined, 'tree'],
    [undefined, 'binary/octet-stream+tree', 'tree'],
    ['lines', undefined, 'lines'],
    ['jfr', 'multipart/form-data; boundary=x', 'jfr'],
    ['pprof', undefined, 'pprof'],
    ['pprof', 'multipart/form-data; boundary=x', 'pprof'], // raw pprof, not a form: fails later, as in Pyroscope
    ['speedscope', undefined, 'speedscope'],
    [undefined, 'multipart/form-data; boundary=----x', 'pprof-multipart'], // Go and Node SDKs
    ['folded', undefined, 'folded'],
    ['collapsed', undefined, 'folded'],
    [undefined, undefined, 'folded'],
    [undefined, 'binary/octet-stream', 'folded'],
    ['lines', 'binary/octet-stream+trie', 'trie'], // rule 1 before rule 3
    ['tree', 'binary/octet-stream+trie', 'trie'],
    [undefined, 'Binary/Octet-Stream+Tree; charset=binary', 'tree'],
    ['TRIE', undefined, 'folded'], // format values are exact, as in Pyroscope
  ];
  for (const [format, contentType, want] of cases) {
    assert.equal(selectIngestFormat({ format, contentType }), want, `${format} / ${contentType}`);
  }
});

test('format=jfr answers "not supported yet" with its own code and status 415', () => {
  throwsCode(() => checkIngestFormat('jfr'), 'ERR_INGEST_UNSUPPORTED_FORMAT', /jfr is not supported yet/);
  assert.equal(INGEST_ERRORS.ERR_INGEST_UNSUPPORTED_FORMAT.status, 415);
  for (const f of ['trie', 'tree', 'lines', 'pprof', 'speedscope', 'pprof-multipart', 'folded'] as const) {
    checkIngestFormat(f);
  }
});

test('profile type (§1.10): every suffix, with and without a sample rate', () => {
  const cases: [string, string, string][] = [
    // suffix, id with sampleRate 100, id with sampleRate 0
    ['cpu', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'process_cpu:samples:count::'],
    ['', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'process_cpu:samples:count::'],
    ['itimer', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'process_cpu:samples:count::'],
    ['wall', 'wall:wall:nanoseconds:cpu:nanoseconds', 'wall:samples:count::'],
    ['seconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 'wall:samples:count::'],
    ['nanoseconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 'wall:samples:count::'],
    ['microseconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 'wall:samples:count::'],
    ['milliseconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 'wall:samples:count::'],
    ['inuse_objects', 'memory:inuse_objects:count::', 'memory:inuse_objects:count::'],
    ['alloc_objects', 'memory:alloc_objects:count::', 'memory:alloc_objects:count::'],
    ['inuse_space', 'memory:inuse_space:bytes::', 'memory:inuse_space:bytes::'],
    ['alloc_space', 'memory:alloc_space:bytes::', 'memory:alloc_space:bytes::'],
    ['goroutines', 'goroutine:goroutines:count::', 'goroutine:goroutines:count::'],
    ['mutex_count', 'mutex:contentions:count::', 'mutex:contentions:count::'],
    ['mutex_duration', 'mutex:delay:nanoseconds::', 'mutex:delay:nanoseconds::'],
    ['block_count', 'block:contentions:count::', 'block:contentions:count::'],
    ['block_duration', 'block:delay:nanoseconds::', 'block:delay:nanoseconds::'],
    ['lock_count', 'block:contentions:count::', 'block:contentions:count::'],
    ['lock_duration', 'block:delay:nanoseconds::', 'block:delay:nanoseconds::'],
    [
      'alloc_in_new_tlab_objects',
      'memory:alloc_in_new_tlab_objects:count::',
      'memory:alloc_in_new_tlab_objects:count::',
    ],
    ['alloc_in_new_tlab_bytes', 'memory:alloc_in_new_tlab_bytes:bytes::', 'memory:alloc_in_new_tlab_bytes:bytes::'],
    [
      'alloc_outside_tlab_objects',
      'memory:alloc_outside_tlab_objects:count::',
      'memory:alloc_outside_tlab_objects:count::',
    ],
    ['alloc_outside_tlab_bytes', 'memory:alloc_outside_tlab_bytes:bytes::', 'memory:alloc_outside_tlab_bytes:bytes::'],
    ['live', 'memory:live:count::', 'memory:live:count::'],
    ['exceptions', 'exceptions:samples:count::', 'exceptions:samples:count::'],
    ['bytes', 'memory:samples:bytes::', 'memory:samples:bytes::'],
  ];
  for (const [suffix, timed, untimed] of cases) {
    assert.equal(profileTypeFor({ suffix, sampleRate: 100 }).profileTypeId, timed, `${suffix} at 100 Hz`);
    assert.equal(profileTypeFor({ suffix, sampleRate: 0 }).profileTypeId, untimed, `${suffix} without a rate`);
    assert.equal(profileTypeFor({ suffix, sampleRate: 100 }).name, timed.split(':')[0]);
  }
});

test('profile type: cpu and wall with a rate are nanoseconds, the period 1e9 / rate truncated', () => {
  const cpu = profileTypeFor({ suffix: 'cpu', sampleRate: 100 });
  assert.deepEqual(cpu.sampleType, { type: 'cpu', unit: 'nanoseconds' });
  assert.deepEqual(cpu.periodType, { type: 'cpu', unit: 'nanoseconds' });
  assert.equal(cpu.period, 10_000_000);
  assert.equal(cpu.multiplier, 10_000_000);
  assert.equal(profileTypeFor({ suffix: 'wall', sampleRate: 99 }).period, 10_101_010);
  assert.deepEqual(profileTypeFor({ suffix: 'wall', sampleRate: 99 }).periodType, { type: 'cpu', unit: 'nanoseconds' });
  const heap = profileTypeFor({ suffix: 'inuse_space', sampleRate: 100, units: 'bytes', aggregationType: 'average' });
  assert.deepEqual([heap.period, heap.multiplier, heap.periodType], [0, 1, null]);
  assert.deepEqual([heap.units, heap.aggregation], ['bytes', 'average']);
  assert.deepEqual([cpu.units, cpu.aggregation], ['samples', 'sum']);
  // sampleRate as the query sends it: absent or malformed is Pyroscope's default, 100 Hz.
  for (const sampleRate of [undefined, '100', 'abc', '-1']) {
    assert.equal(profileTypeFor({ suffix: 'cpu', sampleRate }).period, 10_000_000, String(sampleRate));
  }
  assert.equal(profileTypeFor({ suffix: 'cpu', sampleRate: '0' }).profileTypeId, 'process_cpu:samples:count::');
  assert.equal(profileTypeFor({ suffix: 'cpu', sampleRate: '250' }).period, 4_000_000);
});

test('profile type: an unknown suffix is ERR_INGEST_UNKNOWN_PROFILE_TYPE', () => {
  for (const suffix of ['app', 'CPU', 'constructor', 'toString', 'heap']) {
    throwsCode(() => profileTypeFor({ suffix }), 'ERR_INGEST_UNKNOWN_PROFILE_TYPE', new RegExp(`"${suffix}"`));
  }
  // `my.app` has the suffix `app`: Pyroscope refuses it the same way.
  throwsCode(() => profileTypeFor(parseAppName('my.app')), 'ERR_INGEST_UNKNOWN_PROFILE_TYPE', /ends in \.app/);
});

test("series labels (§1.6): service_name, app_name and pyroscope_spy as Pyroscope's ingest adapter sets them", () => {
  const stacks = { spyName: 'gospy', body: 'stacks' } as const;
  // The cases of Pyroscope's ingest_adapter_test.go TestPutLabelHandling.
  assert.deepEqual(seriesLabelsFor(parseAppName('testapp'), stacks), {
    pyroscope_spy: 'gospy',
    service_name: 'testapp',
  });
  assert.deepEqual(seriesLabelsFor(parseAppName('testapp{service_name=custom-service}'), stacks), {
    pyroscope_spy: 'gospy',
    service_name: 'custom-service',
    app_name: 'testapp',
  });
  assert.deepEqual(
    seriesLabelsFor(parseAppName('testapp{service_name=custom-service,app_name=existing-app}'), stacks),
    {
      pyroscope_spy: 'gospy',
      service_name: 'custom-service',
      app_name: 'existing-app',
    },
  );
  // The suffix is not part of service_name or app_name.
  assert.deepEqual(seriesLabelsFor(parseAppName('shop.cpu{env=prod,__x=1}'), stacks), {
    pyroscope_spy: 'gospy',
    env: 'prod',
    service_name: 'shop',
  });
  // pprof bodies: service_name is the app name as sent, and no app_name is added.
  const pprof = { spyName: 'nodespy', body: 'pprof' } as const;
  assert.deepEqual(seriesLabelsFor(parseAppName('shop.api'), pprof), {
    pyroscope_spy: 'nodespy',
    service_name: 'shop.api',
  });
  assert.deepEqual(seriesLabelsFor(parseAppName('shop{service_name=x}'), pprof), {
    pyroscope_spy: 'nodespy',
    service_name: 'x',
  });
  // The user's labels win over pyroscope_spy; no spy name, no label.
  assert.deepEqual(seriesLabelsFor(parseAppName('a{pyroscope_spy=mine}'), stacks)['pyroscope_spy'], 'mine');
  assert.deepEqual(seriesLabelsFor(parseAppName('a'), { spyName: '', body: 'stacks' }), { service_name: 'a' });
});

test('parameters (§1.2): defaults, and a bad sampleRate silently becomes 100', () => {
  const p = parseIngestParams({ name: 'app.cpu' }, undefined, NOW);
  assert.deepEqual(
    { ...p, name: p.name.appName },
    {
      name: 'app.cpu',
      fromMs: NOW,
      untilMs: NOW,
      format: 'folded',
      sampleRate: 100,
      spyName: 'unknown',
      units: 'samples',
      aggregationType: 'sum',
    },
  );
  const rate = (sampleRate: string): number => parseIngestParams({ name: 'a', sampleRate }, undefined, NOW).sampleRate;
  assert.deepEqual(
    ['0', '+50', '250', '-5', '1.5', 'abc', '', '99999999999'].map(rate),
    [0, 50, 250, 100, 100, 100, 100, 100],
  );
  const og = parseIngestParams(
    {
      name: 'app.cpu{env=prod}',
      from: '1700000000',
      until: '1700000010',
      spyName: 'pyspy',
      sampleRate: '100',
      units: 'samples',
      aggregationType: 'sum',
    },
    'binary/octet-stream+trie',
    NOW,
  );
  assert.deepEqual(
    [og.fromMs, og.untilMs, og.format, og.spyName],
    [1_700_000_000_000, 1_700_000_010_000, 'trie', 'pyspy'],
  );
  throwsCode(() => parseIngestParams({}, undefined, NOW), 'ERR_INGEST_INVALID_NAME');
  throwsCode(() => parseIngestParams({ name: 'a', until: 'soon' }, undefined, NOW), 'ERR_INGEST_INVALID_TIME');
});

test('a v0.x agent upload end to end: parameters, then the trie parsed as the profile type says', () => {
  const params = parseIngestParams(
    { name: 'go-app.cpu{env=prod}', from: '1700000000', until: '1700000010', spyName: 'gospy', sampleRate: '100' },
    'binary/octet-stream+trie',
    NOW,
  );
  const type = profileTypeFor({ suffix: params.name.suffix, sampleRate: params.sampleRate });
  const body = readFileSync(join(import.meta.dirname, '../../../../testdata/pyroscope-tree/go-cpu.samples.trie'));
  const profile = parseTrie(body, {
    sampleType: type.sampleType,
    periodType: type.periodType,
    period: type.period,
    multiplier: type.multiplier,
    timeNs: params.fromMs * 1e6,
  });
  assert.equal(type.profileTypeId, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds');
  assert.deepEqual(seriesLabelsFor(params.name, { spyName: params.spyName, body: 'stacks' }), {
    pyroscope_spy: 'gospy',
    env: 'prod',
    service_name: 'go-app',
  });
  // 700 samples at 100 Hz are 7 s of CPU.
  assert.equal(sumValues(profile, 0), 7_000_000_000);
  assert.equal(buildCallTree(profile).totalValue, 7_000_000_000);
  assert.deepEqual(profile.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
});

test('the ingest catalog: every code has a status, a snake_case reason and a doc line', () => {
  for (const [code, e] of Object.entries(INGEST_ERRORS)) {
    assert.match(code, /^ERR_INGEST_[A-Z_]+$/);
    assert.ok(e.status >= 400 && e.status < 500, code);
    assert.match(e.reason, /^[a-z_]+$/, code);
    assert.ok(e.doc.length > 30, code);
  }
});
