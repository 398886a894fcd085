import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import { testdata } from '../test-helpers/testdata.js';
import { ProfileBuilder, sumValues } from '@kiln/model';
import { metricNameFor, profileTypeId, splitPprof } from './pprof-split.js';

test('a Go CPU pprof becomes one profile per sample type with Pyroscope ids', () => {
  const profile = parsePprof(readFileSync(testdata('go', 'cpu.pb.gz')))!;
  const out = splitPprof(profile, { labels: { service_name: 'go-app' }, fallbackTimeMs: 1 });
  assert.deepEqual(
    out.map((p) => p.profileType),
    ['process_cpu:samples:count:cpu:nanoseconds', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'],
  );
  for (const [i, p] of out.entries()) {
    assert.equal(p.tree.totalValue, sumValues(profile, i));
    assert.deepEqual(p.labels, { service_name: 'go-app' });
    assert.equal(p.timeMs, Math.floor(profile.timeNs / 1e6));
  }
});

test('the official Node SDK wall profile: cpu sample type becomes process_cpu', () => {
  const profile = parsePprof(readFileSync(testdata('pyroscope-nodejs', 'wall-cpu-001.pprof.gz')))!;
  const ids = splitPprof(profile, { labels: { service_name: 'n' }, fallbackTimeMs: 1 }).map((p) => p.profileType);
  assert.ok(ids.includes('wall:wall:nanoseconds:wall:nanoseconds'), ids.join());
  assert.ok(ids.includes('process_cpu:cpu:nanoseconds:wall:nanoseconds'), ids.join());
});

test('string sample labels split series; trace and span ids do not; request labels win', () => {
  const b = new ProfileBuilder({ sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }], timeNs: 0 });
  b.addStack(
    ['main', 'a'],
    [5],
    [
      { key: 'route', str: '/a' },
      { key: 'span_id', str: '1' },
    ],
  );
  b.addStack(
    ['main', 'a'],
    [7],
    [
      { key: 'route', str: '/a' },
      { key: 'span_id', str: '2' },
    ],
  );
  b.addStack(
    ['main', 'b'],
    [3],
    [
      { key: 'route', str: '/b' },
      { key: 'service_name', str: 'spoofed' },
    ],
  );
  b.addStack(['main', 'c'], [2], [{ key: 'bytes', num: 10 }]);
  const out = splitPprof(b.build(), { labels: { service_name: 'svc' }, metricName: 'process_cpu', fallbackTimeMs: 42 });
  const byRoute = Object.fromEntries(out.map((p) => [p.labels.route ?? '-', p]));
  assert.equal(out.length, 3);
  assert.equal(byRoute['/a']!.tree.totalValue, 12);
  assert.equal(byRoute['/b']!.tree.totalValue, 3);
  assert.equal(byRoute['/b']!.labels.service_name, 'svc');
  assert.equal(byRoute['-']!.tree.totalValue, 2);
  assert.ok(out.every((p) => p.timeMs === 42 && p.labels.span_id === undefined));
});

test('metric names as Pyroscope picks them for pprof without __name__', () => {
  const t = (...types: string[]): { type: string; unit: string }[] => types.map((type) => ({ type, unit: 'x' }));
  assert.equal(metricNameFor(t('samples', 'cpu')), 'process_cpu');
  assert.equal(metricNameFor(t('sample', 'wall', 'cpu')), 'wall');
  assert.equal(metricNameFor(t('alloc_objects', 'alloc_space')), 'memory');
  assert.equal(metricNameFor(t('objects', 'space')), 'memory');
  assert.equal(metricNameFor(t('contentions', 'delay')), 'mutex');
  assert.equal(metricNameFor(t('contentions', 'delay'), { contentions: 'block_count' }), 'block');
  assert.equal(metricNameFor(t('goroutine')), 'goroutines');
  assert.equal(profileTypeId('godeltaprof_memory', { type: 'a', unit: 'b' }, null), 'godeltaprof_memory:a:b::');
});
