import type { CallTree } from './call-tree.js';
import type { Profile } from './profile.js';
import { ProfileBuilder } from './profile-builder.js';
import type { ValueType } from './value-type.js';

export interface TreeToProfileOptions {
  sampleType: ValueType;
  periodType?: ValueType | null;
  period?: number;
  timeNs?: number;
  durationNs?: number;
}

/**
 * Writes a call tree back out as a profile: one sample per node with self value, its stack the
 * node's path. What a merged query returns as pprof (`go tool pprof` reads it).
 *
 * @example
 *   const profile = callTreeToProfile(tree, { sampleType: { type: 'cpu', unit: 'nanoseconds' } });
 */
export function callTreeToProfile(tree: CallTree, options: TreeToProfileOptions): Profile {
  const builder = new ProfileBuilder({
    sampleTypes: [options.sampleType],
    periodType: options.periodType ?? null,
    period: options.period ?? 0,
    timeNs: options.timeNs ?? 0,
    durationNs: options.durationNs ?? 0,
  });
  // The location of every node, found once; a node's stack is its location then its parent's.
  const location = new Int32Array(tree.size).fill(-1);
  const stack: number[] = [];
  const value = [0];
  for (let node = 1; node < tree.size; node++) {
    location[node] = builder.addFrame(tree.name(node));
    const self = tree.self[node]!;
    if (self === 0) continue;
    stack.length = 0;
    for (let n = node; n > 0; n = tree.parent[n]!) stack.push(location[n]!);
    value[0] = self;
    builder.addSample(stack, value);
  }
  return builder.build();
}
