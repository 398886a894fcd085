import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveAgentOptions } from './agent-options.js';
import { configFromEnv } from './config-from-env.js';

test('an empty environment configures nothing and is not a problem', () => {
  assert.deepEqual(configFromEnv({}), { enabled: true, options: {}, logLevel: 'warn', problems: [] });
});

test('reads every variable the official @pyroscope/nodejs 0.6 SDK reads (src/utils/get-env.ts)', () => {
  const { options, problems } = configFromEnv({
    PYROSCOPE_APPLICATION_NAME: 'checkout',
    PYROSCOPE_SERVER_ADDRESS: 'http://pyroscope:4040',
    PYROSCOPE_AUTH_TOKEN: 'tok',
    PYROSCOPE_FLUSH_INTERVAL_MS: '15000',
    PYROSCOPE_HEAP_SAMPLING_INTERVAL_BYTES: '65536',
    PYROSCOPE_HEAP_STACK_DEPTH: '32',
    PYROSCOPE_WALL_SAMPLING_INTERVAL_MICROS: '5000',
    PYROSCOPE_WALL_COLLECT_CPU_TIME: 'false',
    PYROSCOPE_WALL_SAMPLING_DURATION_MS: '60000', // sizes the SDK's buffer only: accepted, ignored
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(options, {
    appName: 'checkout',
    serverAddress: 'http://pyroscope:4040',
    authToken: 'tok',
    uploadIntervalMs: 15_000,
    cpu: { samplingIntervalMicros: 5000, collectCpuTime: false },
    heap: { samplingIntervalBytes: 65_536, stackDepth: 32 },
  });
});

test('reads the variables other Pyroscope agents use: basic auth, tenant, tags, PYROSCOPE_UPLOAD_INTERVAL', () => {
  const { options, problems } = configFromEnv({
    PYROSCOPE_APPLICATION_NAME: 'api',
    PYROSCOPE_BASIC_AUTH_USER: 'user',
    PYROSCOPE_BASIC_AUTH_PASSWORD: 'pass',
    PYROSCOPE_TENANT_ID: 'team-a',
    PYROSCOPE_TAGS: ' env = prod , region=eu-west-1,,',
    PYROSCOPE_UPLOAD_INTERVAL: '20s',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(options, {
    appName: 'api',
    basicAuthUser: 'user',
    basicAuthPassword: 'pass',
    tenantId: 'team-a',
    tags: { env: 'prod', region: 'eu-west-1' },
    uploadIntervalMs: 20_000,
  });
  for (const [text, ms] of [
    ['500ms', 500],
    ['1m', 60_000],
    ['1.5s', 1500],
    ['7', 7000],
  ] as const) {
    assert.equal(configFromEnv({ PYROSCOPE_UPLOAD_INTERVAL: text }).options.uploadIntervalMs, ms, text);
  }
});

test('KILN_ variables win over PYROSCOPE_ ones; PYROSCOPE_ADHOC_SERVER_ADDRESS over PYROSCOPE_SERVER_ADDRESS', () => {
  const pyroscope = {
    PYROSCOPE_APPLICATION_NAME: 'pyro-app',
    PYROSCOPE_SERVER_ADDRESS: 'http://pyro:4040',
    PYROSCOPE_ADHOC_SERVER_ADDRESS: 'http://adhoc:4040',
    PYROSCOPE_AUTH_TOKEN: 'pyro-token',
    PYROSCOPE_BASIC_AUTH_USER: 'pyro-user',
    PYROSCOPE_BASIC_AUTH_PASSWORD: 'pyro-pass',
    PYROSCOPE_TENANT_ID: 'pyro-tenant',
    PYROSCOPE_FLUSH_INTERVAL_MS: '60000',
    PYROSCOPE_WALL_SAMPLING_INTERVAL_MICROS: '10000',
    PYROSCOPE_HEAP_STACK_DEPTH: '64',
  };
  assert.equal(configFromEnv(pyroscope).options.serverAddress, 'http://adhoc:4040');
  const { options } = configFromEnv({
    ...pyroscope,
    KILN_APPLICATION_NAME: 'kiln-app',
    KILN_SERVER_ADDRESS: 'http://kiln:4040',
    KILN_AUTH_TOKEN: 'kiln-token',
    KILN_BASIC_AUTH_USER: 'kiln-user',
    KILN_BASIC_AUTH_PASSWORD: 'kiln-pass',
    KILN_TENANT_ID: 'kiln-tenant',
    KILN_UPLOAD_INTERVAL_MS: '5000',
    KILN_CPU_SAMPLING_INTERVAL_MICROS: '2000',
    KILN_HEAP_STACK_DEPTH: '16',
  });
  assert.deepEqual(options, {
    appName: 'kiln-app',
    serverAddress: 'http://kiln:4040',
    authToken: 'kiln-token',
    basicAuthUser: 'kiln-user',
    basicAuthPassword: 'kiln-pass',
    tenantId: 'kiln-tenant',
    uploadIntervalMs: 5000,
    cpu: { samplingIntervalMicros: 2000 },
    heap: { stackDepth: 16 },
  });
});

test('tags merge per key: app-name braces, then PYROSCOPE_TAGS, then KILN_TAGS', () => {
  const { options, problems } = configFromEnv({
    PYROSCOPE_APPLICATION_NAME: 'shop{env=dev,team=core}',
    PYROSCOPE_TAGS: 'env=staging,zone=a',
    KILN_TAGS: 'env=prod',
  });
  assert.deepEqual(problems, []);
  assert.equal(options.appName, 'shop');
  assert.deepEqual(options.tags, { env: 'prod', team: 'core', zone: 'a' });
  assert.deepEqual(Object.keys(options.tags!), ['env', 'team', 'zone'], 'first-seen order is kept');
});

test('profiler switches and source maps', () => {
  assert.deepEqual(configFromEnv({ KILN_CPU_ENABLED: 'false', KILN_HEAP_ENABLED: '0' }).options, {
    cpu: false,
    heap: false,
  });
  assert.deepEqual(
    configFromEnv({ KILN_CPU_ENABLED: 'true', KILN_HEAP_ENABLED: 'off', PYROSCOPE_HEAP_STACK_DEPTH: '8' }).options,
    { cpu: true, heap: false },
  );
  assert.equal(configFromEnv({ KILN_SOURCE_MAPS: 'true' }).options.sourceMaps, true);
  assert.deepEqual(configFromEnv({ KILN_SOURCE_MAPS: 'dist, lib' }).options.sourceMaps, {
    searchDirs: ['dist', 'lib'],
  });
  assert.equal(configFromEnv({ KILN_AGENT_ENABLED: 'no' }).enabled, false);
  assert.equal(configFromEnv({ KILN_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
  assert.deepEqual(
    configFromEnv({ KILN_MAX_BUFFERED_PROFILES: '5', KILN_REQUEST_TIMEOUT_MS: '2000', KILN_STOP_TIMEOUT_MS: '900' })
      .options,
    { maxBufferedProfiles: 5, requestTimeoutMs: 2000, stopTimeoutMs: 900 },
  );
});

test('unusable values are ignored and reported, and do not hide a usable fallback', () => {
  const { options, problems, logLevel } = configFromEnv({
    KILN_UPLOAD_INTERVAL_MS: '10s',
    PYROSCOPE_FLUSH_INTERVAL_MS: '2000',
    PYROSCOPE_HEAP_STACK_DEPTH: '-1',
    PYROSCOPE_WALL_COLLECT_CPU_TIME: 'maybe',
    PYROSCOPE_TAGS: 'env=prod,oops',
    PYROSCOPE_STRIP_FILENAMES: 'all',
    KILN_LOG_LEVEL: 'loud',
    KILN_TENANT_ID: '   ',
  });
  assert.deepEqual(options, { uploadIntervalMs: 2000, tags: { env: 'prod' } });
  assert.equal(logLevel, 'warn');
  assert.deepEqual(problems, [
    'PYROSCOPE_TAGS: "oops" is not key=value; ignored',
    'KILN_UPLOAD_INTERVAL_MS="10s" is not a positive integer; ignored',
    'PYROSCOPE_WALL_COLLECT_CPU_TIME="maybe" is not true/false/1/0; ignored',
    'PYROSCOPE_HEAP_STACK_DEPTH="-1" is not a positive integer; ignored',
    'PYROSCOPE_STRIP_FILENAMES is not supported by the Kiln agent; ignored',
    'KILN_LOG_LEVEL="loud" is not one of silent, error, warn, info, debug; using warn',
  ]);
});

test('pure: reads only the env it is given', () => {
  const saved = process.env.PYROSCOPE_APPLICATION_NAME;
  process.env.PYROSCOPE_APPLICATION_NAME = 'from-process-env';
  try {
    assert.deepEqual(configFromEnv({}).options, {});
  } finally {
    if (saved === undefined) delete process.env.PYROSCOPE_APPLICATION_NAME;
    else process.env.PYROSCOPE_APPLICATION_NAME = saved;
  }
});

test('what it returns is valid startProfiling input', () => {
  const { options } = configFromEnv({
    PYROSCOPE_APPLICATION_NAME: 'svc{env=prod}',
    PYROSCOPE_WALL_SAMPLING_INTERVAL_MICROS: '1000',
    KILN_HEAP_ENABLED: 'false',
  });
  const resolved = resolveAgentOptions({ ...options, appName: options.appName! });
  assert.equal(resolved.appName, 'svc');
  assert.deepEqual(resolved.tags, { env: 'prod' });
  assert.deepEqual(resolved.cpu, { samplingIntervalMicros: 1000, collectCpuTime: true });
  assert.equal(resolved.heap, null);
});
