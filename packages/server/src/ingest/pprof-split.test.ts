import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import { testdata } from '../test-helpers/testdata.js';
import {
  buildCallTree,
  ProfileBuilder,
  selectTopFunctions,
  sumStackSamples,
  sumValues,
  type Profile,
} from '@kiln/model';
import { Dictionary } from '../storage/dictionary.js';
import { callTreeOfSamples } from '../storage/test-helpers/stack-samples.js';
import { metricNameFor, profileTypeId, splitPprof } from './pprof-split.js';

test('a Go CPU pprof becomes one profile per sample type with Pyroscope ids', () => {
  const profile = parsePprof(readFileSync(testdata('go', 'cpu.pb.gz')))!;
  const out = splitPprof(profile, { labels: { service_name: 'go-app' }, fallbackTimeMs: 1 });
  assert.deepEqual(
    out.map((p) => p.profileType),
    ['process_cpu:samples:count:cpu:nanoseconds', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'],
  );
  for (const [i, p] of out.entries()) {
    assert.equal(sumStackSamples(p.samples!), sumValues(profile, i));
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
  assert.equal(sumStackSamples(byRoute['/a']!.samples!), 12);
  assert.equal(sumStackSamples(byRoute['/b']!.samples!), 3);
  assert.equal(byRoute['/b']!.labels.service_name, 'svc');
  assert.equal(sumStackSamples(byRoute['-']!.samples!), 2);
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

/** The samples of `profile` whose string labels (trace and span ids aside) are exactly `labels`. */
function labelFilter(profile: Profile, labels: Readonly<Record<string, string>>): (s: number) => boolean {
  const { labelSet, labelSets } = profile.samples;
  return (s) => {
    const own: Record<string, string> = {};
    for (const l of labelSets[labelSet[s]!]!) if (l.str && !['trace_id', 'span_id'].includes(l.key)) own[l.key] = l.str;
    return JSON.stringify(Object.entries(own).sort()) === JSON.stringify(Object.entries(labels).sort());
  };
}

test('split stack samples store what buildCallTree of each sample type and label group stores', () => {
  // Go CPU: inlined frames, two sample types; Node SDK wall: three types, a `handler` label on
  // some samples (two series per type).
  for (const file of [
    ['go', 'cpu.pb.gz'],
    ['go', 'allocs.pb.gz'],
    ['pyroscope-nodejs', 'fresh', 'wall-cpu-001.pprof.gz'],
  ]) {
    const profile = parsePprof(readFileSync(testdata(...file)))!;
    const out = splitPprof(profile, { labels: { service_name: 'svc' }, fallbackTimeMs: 1 });
    const bySamples = new Dictionary();
    const byTree = new Dictionary();
    for (const p of out) {
      const what = `${file.join('/')} ${p.profileType} ${JSON.stringify(p.labels)}`;
      const t = profile.sampleTypes.findIndex((st) => p.profileType.split(':')[1] === st.type);
      const sampleLabels = Object.fromEntries(Object.entries(p.labels).filter(([k]) => k !== 'service_name'));
      const tree = buildCallTree(profile, { sampleType: t, filter: labelFilter(profile, sampleLabels) });
      assert.deepEqual(callTreeOfSamples(p.samples!).toFolded(), tree.toFolded(), `${what}: stacks`);
      const a = bySamples.internStackSamples(p.samples!);
      const b = byTree.internCallTree(tree);
      assert.deepEqual(bySamples.takeNew().stacks, byTree.takeNew().stacks, `${what}: stored stacks`);
      assert.deepEqual(
        selectTopFunctions(bySamples.buildTree(a.stacks, a.values, a.count)),
        selectTopFunctions(byTree.buildTree(b.stacks, b.values, b.count)),
        `${what}: self and total per function`,
      );
    }
    const groups = new Set(out.map((p) => JSON.stringify(p.labels))).size;
    assert.equal(groups, file[2] === undefined ? 1 : 2, `${file.join('/')}: series per sample type`);
  }
});
