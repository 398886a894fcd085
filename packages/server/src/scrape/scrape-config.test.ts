import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKilnError } from '@kiln/model';
import { defaultConfig, loadConfig } from '../config.js';
import { childEnv } from '../compat/kiln-process.js';
import { parseDurationMs, parseScrapeConfigs } from './scrape-config.js';

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kiln-scrape-config-')), 'kiln.yaml');
  writeFileSync(file, text);
  return file;
}

const EXAMPLE = `
scrape_max_targets: 50
scrape_configs:
  - job_name: checkout
    scrape_interval: 30s
    static_configs:
      - targets: [127.0.0.1:6060, "[::1]:6061"]
        labels: { env: prod }
    relabel_configs:
      - source_labels: [__address__]
        regex: '(.*):6061'
        target_label: replica
        replacement: '\${1}-b'
    profiling_config:
      memory: { path: /debug/pprof/heap, delta: false }
      block: { enabled: false }
  - job_name: pods
    kubernetes_sd_configs:
      - role: pod
        namespaces: { names: [shop] }
        kubeconfig_file: /etc/kiln/kubeconfig
`;

test('scrape_configs from the YAML file: Prometheus keys, Alloy defaults', () => {
  const c = loadConfig({ config: yamlFile(EXAMPLE) }, {});
  assert.equal(c.scrapeMaxTargets, 50);
  const [checkout, pods] = c.scrapeConfigs;
  assert.equal(checkout!.jobName, 'checkout');
  assert.equal(checkout!.scrapeIntervalMs, 30_000);
  assert.equal(checkout!.scrapeTimeoutMs, 10_000);
  assert.equal(checkout!.scheme, 'http');
  assert.deepEqual(checkout!.staticConfigs, [{ targets: ['127.0.0.1:6060', '[::1]:6061'], labels: { env: 'prod' } }]);
  assert.equal(checkout!.relabelConfigs[0]!.action, 'replace');
  assert.equal(checkout!.relabelConfigs[0]!.separator, ';');
  assert.deepEqual(checkout!.profilingConfig.memory, { enabled: true, path: '/debug/pprof/heap', delta: false });
  assert.deepEqual(checkout!.profilingConfig.process_cpu, { enabled: true, path: '/debug/pprof/profile', delta: true });
  assert.equal(checkout!.profilingConfig.block.enabled, false);
  assert.deepEqual(pods!.kubernetesSdConfigs, [
    { role: 'pod', namespaces: ['shop'], kubeconfigFile: '/etc/kiln/kubeconfig' },
  ]);
  assert.equal(pods!.scrapeIntervalMs, 15_000);
  // The same jobs as YAML (or JSON) text in KILN_SCRAPE_CONFIGS.
  const env = loadConfig({}, { KILN_SCRAPE_CONFIGS: '[{job_name: x, static_configs: [{targets: ["a:1"]}]}]' });
  assert.equal(env.scrapeConfigs[0]!.jobName, 'x');
  assert.deepEqual(loadConfig({}, {}).scrapeConfigs, []);
});

test('bad scrape_configs are ERR_SCRAPE_CONFIG_INVALID naming the path and the value', () => {
  const cases: [string, RegExp][] = [
    ['scrape_configs: {job_name: x}', /scrape_configs: expected a list/],
    ['scrape_configs: [{scrape_interval: 1s}]', /scrape_configs\[0\]\.job_name: is required/],
    ['scrape_configs: [{job_name: a}, {job_name: a}]', /scrape_configs\[1\]\.job_name: `a` is used by two jobs/],
    ['scrape_configs: [{job_name: a, scrape_intervall: 1s}]', /scrape_configs\[0\]\.scrape_intervall: unknown key/],
    [
      'scrape_configs: [{job_name: a, scrape_interval: 15}]',
      /scrape_configs\[0\]\.scrape_interval: `15` is not a duration/,
    ],
    ['scrape_configs: [{job_name: a, scrape_interval: fast}]', /scrape_interval: `fast` is not a duration like 15s/],
    [
      'scrape_configs: [{job_name: a, scrape_interval: 5s, scrape_timeout: 10s}]',
      /scrape_timeout: 10000 ms is longer than scrape_interval \(5000 ms\)/,
    ],
    ['scrape_configs: [{job_name: a, scheme: ftp}]', /scheme: `ftp` is neither http nor https/],
    [
      'scrape_configs: [{job_name: a, static_configs: [{targets: [http://x:1]}]}]',
      /static_configs\[0\]\.targets\[0\]: `http:\/\/x:1` is not HOST:PORT/,
    ],
    [
      'scrape_configs: [{job_name: a, static_configs: [{targets: [x:1], labels: {bad-name: v}}]}]',
      /labels: `bad-name` is not a label name/,
    ],
    [
      'scrape_configs: [{job_name: a, relabel_configs: [{action: rename}]}]',
      /relabel_configs\[0\]\.action: `rename` is not one of replace, keep/,
    ],
    [
      'scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [x], regex: "(", target_label: y}]}]',
      /relabel_configs\[0\]\.regex: `\(` is not a regular expression/,
    ],
    [
      'scrape_configs: [{job_name: a, relabel_configs: [{action: keep}]}]',
      /relabel_configs\[0\]\.source_labels: is required for action keep/,
    ],
    [
      'scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [x]}]}]',
      /target_label: is required for action replace/,
    ],
    [
      'scrape_configs: [{job_name: a, kubernetes_sd_configs: [{role: node}]}]',
      /kubernetes_sd_configs\[0\]\.role: `node` is not supported/,
    ],
    [
      'scrape_configs: [{job_name: a, profiling_config: {fgprof: {enabled: true}}}]',
      /profiling_config\.fgprof: unknown key \(known: process_cpu, memory/,
    ],
    [
      'scrape_configs: [{job_name: a, profiling_config: {memory: {enabled: yes please}}}]',
      /profiling_config\.memory\.enabled: `"yes please"` is not true or false/,
    ],
    [
      'scrape_configs: [{job_name: a, profiling_config: {memory: {path: heap}}}]',
      /profiling_config\.memory\.path: `heap` does not start with \//,
    ],
  ];
  for (const [yaml, message] of cases) {
    const file = yamlFile(yaml);
    assert.throws(
      () => loadConfig({ config: file }, {}),
      (err) =>
        isKilnError(err, 'ERR_SCRAPE_CONFIG_INVALID') && message.test(err.message) && err.message.startsWith(file),
      yaml,
    );
  }
  assert.throws(
    () => loadConfig({}, { KILN_SCRAPE_CONFIGS: '[{job_name: a, scheme: ftp}]' }),
    (err) => isKilnError(err, 'ERR_SCRAPE_CONFIG_INVALID') && /^KILN_SCRAPE_CONFIGS\[0\]\.scheme/.test(err.message),
  );
  for (const key of [
    'scrape_max_targets',
    'scrape_max_concurrent',
    'scrape_max_body_bytes',
    'scrape_discovery_retry_ms',
  ]) {
    assert.throws(
      () => loadConfig({ config: yamlFile(`${key}: -1`) }, {}),
      (err) => isKilnError(err, 'ERR_CONFIG_INVALID') && err.message.includes(key),
    );
  }
});

test('limits have their documented defaults', () => {
  const c = defaultConfig();
  assert.equal(c.scrapeMaxTargets, 1000);
  assert.equal(c.scrapeMaxConcurrent, 32);
  assert.equal(c.scrapeMaxBodyBytes, 64 * 1024 * 1024);
  assert.equal(c.scrapeDiscoveryRetryMs, 5000);
  const [job] = parseScrapeConfigs([{ job_name: 'a' }], 'x');
  assert.equal(job!.scrapeIntervalMs, 15_000);
  assert.equal(job!.scrapeTimeoutMs, 10_000);
  // A short interval shortens the default timeout with it.
  assert.equal(parseScrapeConfigs([{ job_name: 'a', scrape_interval: '5s' }], 'x')[0]!.scrapeTimeoutMs, 5000);
});

test('durations: Prometheus units', () => {
  assert.equal(parseDurationMs('1h30m', 'x'), 5_400_000);
  assert.equal(parseDurationMs('1m', 'x'), 60_000);
  assert.equal(parseDurationMs('2s500ms', 'x'), 2500);
  assert.equal(parseDurationMs('750ms', 'x'), 750);
  assert.throws(() => parseDurationMs('', 'x'), /is not a duration/);
  assert.throws(() => parseDurationMs('1d', 'x'), /is not a duration/);
});

test('`kiln server` with a bad scrape config exits 1 at start with the named error', () => {
  const file = yamlFile('scrape_configs:\n  - job_name: go\n    static_configs: [{ targets: [localhost] }]\n');
  const res = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      join(import.meta.dirname, '..', 'compat', 'kiln-cli.ts'),
      'server',
      '--config',
      file,
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      join(tmpdir(), 'kiln-never-created'),
    ],
    { env: childEnv(), encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(res.status, 1, res.stderr);
  assert.match(
    res.stderr,
    new RegExp(
      `kiln: ERR_SCRAPE_CONFIG_INVALID: ${file}: scrape_configs\\[0\\]\\.static_configs\\[0\\]\\.targets\\[0\\]: \`localhost\` is not HOST:PORT`,
    ),
  );
});
