import { CallTreeBuilder, type CallTree, type StackSamples } from '@kiln/model';
import type { ProfileInput } from '../profile-store.js';

/** Stack samples from folded lines, one sample per line: `makeSamples([['main;work', 3]])`. */
export function makeSamples(lines: readonly (readonly [string, number])[]): StackSamples {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const frames: number[] = [];
  const frameStart = [0];
  for (const [stack] of lines) {
    for (const name of stack.split(';')) {
      let id = ids.get(name);
      if (id === undefined) ids.set(name, (id = names.push(name) - 1));
      frames.push(id);
    }
    frameStart.push(frames.length);
  }
  return {
    names,
    length: lines.length,
    frameStart: Uint32Array.from(frameStart),
    frames: Uint32Array.from(frames),
    values: Float64Array.from(lines, ([, value]) => value),
  };
}

/** The call tree of stack samples, as buildCallTree makes it from the same samples. */
export function callTreeOfSamples(samples: StackSamples): CallTree {
  const builder = new CallTreeBuilder();
  const ids = samples.names.map((name) => builder.intern(name));
  for (let s = 0; s < samples.length; s++) {
    const value = samples.values[s]!;
    if (value === 0) continue;
    let node = 0;
    for (let f = samples.frameStart[s]!; f < samples.frameStart[s + 1]!; f++) {
      node = builder.child(node, ids[samples.frames[f]!]!);
    }
    builder.addSelf(node, value);
  }
  return builder.build();
}

/** A profile input's call tree, whichever form it was given in. */
export function treeOfInput(p: ProfileInput): CallTree {
  return p.samples !== undefined ? callTreeOfSamples(p.samples) : p.tree;
}
