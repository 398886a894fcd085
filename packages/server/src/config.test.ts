import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKilnError } from '@kiln/model';
import { defaultConfig, envName, flagName, loadConfig, parseListen, SETTINGS } from './config.js';

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kiln-config-')), 'kiln.yaml');
  writeFileSync(file, text);
  return file;
}

test('defaults: :4040 on every interface, ./data, self-profiling on', () => {
  const c = loadConfig({}, {});
  assert.equal(c.listen, '0.0.0.0:4040');
  assert.equal(c.dataDir, './data');
  assert.equal(c.selfProfiling, true);
  assert.equal(c.defaultTenant, 'anonymous');
  assert.deepEqual(c, defaultConfig());
});

test('precedence: flag over KILN_* over file over default', () => {
  const file = yamlFile('listen: 127.0.0.1:5000\ndata_dir: /from/file\nself_profiling: false\nlog_level: warn\n');
  const env = { KILN_DATA_DIR: '/from/env', KILN_LOG_LEVEL: 'debug' };
  const c = loadConfig({ config: file, logLevel: 'error' }, env);
  assert.equal(c.listen, '127.0.0.1:5000'); // file
  assert.equal(c.dataDir, '/from/env'); // env over file
  assert.equal(c.logLevel, 'error'); // flag over env
  assert.equal(c.selfProfiling, false);
  // KILN_CONFIG names the file when no flag does.
  assert.equal(loadConfig({}, { KILN_CONFIG: file }).listen, '127.0.0.1:5000');
});

test('every setting has a YAML key, an env name, a flag and a doc line', () => {
  for (const field of Object.keys(SETTINGS) as (keyof typeof SETTINGS)[]) {
    assert.match(SETTINGS[field].key, /^[a-z_]+$/);
    assert.match(envName(field), /^KILN_[A-Z_]+$/);
    assert.match(flagName(field), /^--[a-z-]+$/);
    assert.ok(SETTINGS[field].doc.length > 10, field);
  }
});

test('lists and numbers from the environment and the file', () => {
  const c = loadConfig({}, { KILN_RETENTION_DAYS: '1, 2, 3, 4, 0', KILN_MAX_SERIES_PER_TENANT: '10' });
  assert.deepEqual(c.retentionDays, [1, 2, 3, 4, 0]);
  assert.equal(c.maxSeriesPerTenant, 10);
  assert.deepEqual(
    loadConfig({ config: yamlFile('retention_days: [2, 3, 4, 5, 6]\n') }, {}).retentionDays,
    [2, 3, 4, 5, 6],
  );
});

test('bad settings are ERR_CONFIG_INVALID naming where they came from', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => loadConfig({ config: yamlFile('nope: 1\n') }, {}), /unknown setting `nope`/],
    [() => loadConfig({ config: yamlFile('- a\n') }, {}), /mapping/],
    [() => loadConfig({ config: '/no/such/kiln.yaml' }, {}), /cannot read/],
    [() => loadConfig({}, { KILN_SELF_PROFILING: 'maybe' }), /KILN_SELF_PROFILING/],
    [() => loadConfig({}, { KILN_MAX_SERIES_PER_TENANT: '-1' }), /KILN_MAX_SERIES_PER_TENANT/],
    [() => loadConfig({ listen: 'localhost:99999' }, {}), /port/],
    [() => loadConfig({}, { KILN_RETENTION_DAYS: '1,2' }), /KILN_RETENTION_DAYS/],
    [() => loadConfig({ logLevel: 'loud' }, {}), /--log-level/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (err) => isKilnError(err, 'ERR_CONFIG_INVALID') && message.test(err.message));
  }
});

test('listen forms', () => {
  assert.deepEqual(parseListen(':4040'), { host: '0.0.0.0', port: 4040 });
  assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('[::1]:4040'), { host: '::1', port: 4040 });
});
