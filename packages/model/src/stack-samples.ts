/**
 * A profile's samples of one sample type as stacks of function names, in columns: what ingest
 * hands to storage without building a call tree first (building one costs a hash lookup per
 * frame; storage only needs each sample's stack).
 *
 * Sample `i` has the frames `frames[frameStart[i] .. frameStart[i + 1])`, name ids into
 * `names`, from the root (the outermost caller) to the leaf (the running function), and the
 * value `values[i]`. Samples with value 0 add nothing; several samples may have the same
 * stack, and their values add up. `names` may hold a name more than once; frames are
 * functions by name, as in a CallTree.
 *
 * The StackSamples of a profile's sample types and label groups share `names`, `frameStart`
 * and `frames` and differ in `values` only (see buildStackSamples).
 */
export interface StackSamples {
  readonly names: readonly string[];
  readonly length: number;
  /** `length + 1` offsets into `frames`. */
  readonly frameStart: Uint32Array;
  readonly frames: Uint32Array;
  /** At least `length` values. */
  readonly values: Float64Array;
}

/** The same samples with other values (a label group's share, say): names and frames are shared. */
export function withValues(samples: StackSamples, values: Float64Array): StackSamples {
  return {
    names: samples.names,
    length: samples.length,
    frameStart: samples.frameStart,
    frames: samples.frames,
    values,
  };
}

/** The sum of the values: a CallTree's `totalValue` for the same samples. */
export function sumStackSamples(samples: StackSamples): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples.values[i]!;
  return sum;
}
