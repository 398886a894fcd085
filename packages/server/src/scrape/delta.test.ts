import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stackSampleFrames, sumStackSamples, type StackSamples } from '@kiln/model';
import type { ProfileInput } from '../storage/profile-store.js';
import { DeltaTracker } from './delta.js';

/** Samples `main;alloc` and `main;other` (twice, as pprof may repeat a stack) with the given values. */
function samples(values: number[]): StackSamples {
  return {
    names: ['main', 'alloc', 'other'],
    locationStart: Uint32Array.of(0, 1, 2, 3),
    locationFrames: Uint32Array.of(0, 1, 2),
    length: 3,
    stackStart: Uint32Array.of(0, 2, 4, 6),
    stack: Uint32Array.of(1, 0, 2, 0, 2, 0),
    values: Float64Array.from(values),
  };
}

function input(type: string, values: number[]): ProfileInput {
  return {
    labels: { service_name: 's' },
    profileType: `memory:${type}:bytes:space:bytes`,
    timeMs: 0,
    samples: samples(values),
  };
}

function byStack(p: ProfileInput): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < p.samples!.length; i++) {
    const v = p.samples!.values[i]!;
    if (v !== 0)
      out[stackSampleFrames(p.samples!, i).join(';')] = (out[stackSampleFrames(p.samples!, i).join(';')] ?? 0) + v;
  }
  return out;
}

test('cumulative sample types become per-interval deltas; the first scrape is only a baseline; others pass through', () => {
  const d = new DeltaTracker();
  const first = d.apply('t', [input('alloc_space', [100, 10, 5]), input('inuse_space', [7, 0, 1])], ['alloc_space']);
  assert.deepEqual(
    first.map((p) => p.profileType),
    ['memory:inuse_space:bytes:space:bytes'],
  );
  const second = d.apply('t', [input('alloc_space', [160, 12, 5]), input('inuse_space', [9, 0, 0])], ['alloc_space']);
  assert.deepEqual(byStack(second[0]!), { 'main;alloc': 60, 'main;other': 2 });
  assert.deepEqual(byStack(second[1]!), { 'main;alloc': 9 });
  // A process restart: the totals go down, so the new values are taken as they are.
  const restarted = d.apply('t', [input('alloc_space', [3, 1, 0])], ['alloc_space']);
  assert.equal(sumStackSamples(restarted[0]!.samples!), 4);
  // A forgotten target starts over with a baseline.
  d.forget('t');
  assert.deepEqual(d.apply('t', [input('alloc_space', [500, 0, 0])], ['alloc_space']), []);
});
