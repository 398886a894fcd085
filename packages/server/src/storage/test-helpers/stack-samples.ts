import { CallTreeBuilder, stackSampleFrames, type CallTree, type StackSamples } from '@kiln/model';
import type { ProfileInput } from '../profile-store.js';

/**
 * Stack samples from folded lines, one sample per line and one location per distinct name:
 * `makeSamples([['main;work', 3]])`.
 */
export function makeSamples(lines: readonly (readonly [string, number])[]): StackSamples {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const stack: number[] = [];
  const stackStart = [0];
  for (const [folded] of lines) {
    const frames = folded.split(';').map((name) => {
      let id = ids.get(name);
      if (id === undefined) ids.set(name, (id = names.push(name) - 1));
      return id;
    });
    stack.push(...frames.reverse());
    stackStart.push(stack.length);
  }
  return {
    names,
    locationStart: Uint32Array.from({ length: names.length + 1 }, (_, i) => i),
    locationFrames: Uint32Array.from(names, (_, i) => i),
    length: lines.length,
    stackStart: Uint32Array.from(stackStart),
    stack: Uint32Array.from(stack),
    values: Float64Array.from(lines, ([, value]) => value),
  };
}

/** The call tree of stack samples, as buildCallTree makes it from the same samples. */
export function callTreeOfSamples(samples: StackSamples): CallTree {
  const builder = new CallTreeBuilder();
  for (let s = 0; s < samples.length; s++) {
    if (samples.values[s] !== 0) builder.insertStack(stackSampleFrames(samples, s), samples.values[s]!);
  }
  return builder.build();
}

/** A profile input's call tree, whichever form it was given in. */
export function treeOfInput(p: ProfileInput): CallTree {
  return p.samples !== undefined ? callTreeOfSamples(p.samples) : p.tree;
}
