import type { NameIds } from './profile.js';

/**
 * A profile's samples of one sample type as stacks of function names, in columns: what ingest
 * hands to storage without building a call tree first (building one costs a hash lookup per
 * frame, and storage only needs each sample's stack).
 *
 * Shaped like pprof, so a decoded pprof becomes StackSamples without copying its stacks:
 * - location `l` stands for the frames `names[locationFrames[j]]` for `j` in
 *   `locationStart[l] .. locationStart[l + 1]`, outermost (caller) first: one frame, or several
 *   where functions were inlined;
 * - sample `i` has the locations `stack[stackStart[i] .. stackStart[i + 1])`, leaf (the running
 *   function) first, as in pprof, and the value `values[i]`.
 * A sample's frames, root first, are its locations' frames from the last location to the
 * first. Samples with value 0 add nothing; samples with the same frames add up. `names` may
 * hold a name more than once: frames are functions by name, as in a CallTree.
 *
 * The StackSamples of one profile's sample types and label groups share everything but
 * `values` (see buildStackSamples).
 *
 * @example
 *   // main -> work, value 3 (one location per frame):
 *   const samples: StackSamples = {
 *     names: ['main', 'work'],
 *     locationStart: Uint32Array.of(0, 1, 2),
 *     locationFrames: Uint32Array.of(0, 1),
 *     length: 1,
 *     stackStart: Uint32Array.of(0, 2),
 *     stack: Uint32Array.of(1, 0),
 *     values: Float64Array.of(3),
 *   };
 */
export interface StackSamples {
  readonly names: readonly string[];
  /** Each name's content id (nameIdOfText), when known already (a decoded pprof's stringIds). */
  readonly nameIds?: NameIds;
  /** One more entry than there are locations. */
  readonly locationStart: Uint32Array;
  readonly locationFrames: Uint32Array;
  readonly length: number;
  /** `length + 1` offsets into `stack`. */
  readonly stackStart: Uint32Array;
  readonly stack: Uint32Array;
  /** At least `length` values. */
  readonly values: Float64Array;
}

/** The same samples with other values (a label group's share, say); everything else is shared. */
export function withValues(samples: StackSamples, values: Float64Array): StackSamples {
  return { ...samples, values };
}

/** The sum of the values: a CallTree's `totalValue` for the same samples. */
export function sumStackSamples(samples: StackSamples): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples.values[i]!;
  return sum;
}

/** The frames of sample `i`, root first, as names (for tests and tools; storage reads the columns). */
export function stackSampleFrames(samples: StackSamples, i: number): string[] {
  const out: string[] = [];
  for (let j = samples.stackStart[i + 1]! - 1; j >= samples.stackStart[i]!; j--) {
    const l = samples.stack[j]!;
    for (let f = samples.locationStart[l]!; f < samples.locationStart[l + 1]!; f++) {
      out.push(samples.names[samples.locationFrames[f]!]!);
    }
  }
  return out;
}
