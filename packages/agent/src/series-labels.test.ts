import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGENT_VERSION, buildSeriesLabels, formatSeriesName } from './series-labels.js';

test('AGENT_VERSION is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
  assert.equal(AGENT_VERSION, pkg.version);
});

test("the official SDK's label keys first, then tags; a tag with the same key replaces the default in place", () => {
  const labels = buildSeriesLabels({ env: 'prod', 'process.runtime.name': 'bun', shard: 3 }, '20.20.2');
  assert.deepEqual(Object.entries(labels), [
    ['otel.scope.name', 'kiln.agent/nodejs'],
    ['otel.scope.version', AGENT_VERSION],
    ['process.runtime.version', '20.20.2'],
    ['env', 'prod'],
    ['process.runtime.name', 'bun'],
    ['shard', '3'],
  ]);
});

test('formatSeriesName writes app{k=v,...} in label order, braces always', () => {
  assert.equal(formatSeriesName('shop', { b: '2', a: '1' }), 'shop{b=2,a=1}');
  assert.equal(formatSeriesName('shop', {}), 'shop{}');
});
