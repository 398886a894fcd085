import { create } from '@bufbuild/protobuf';
import { LabelPairSchema } from './gen/types/v1/types_pb.js';
import type { LabelPair } from './gen/types/v1/types_pb.js';

/**
 * Turns a label record into `types.v1.LabelPair` messages, sorted by name so that equal label sets
 * always encode to the same bytes.
 *
 * @example
 * toLabelPairs({ service_name: 'checkout', __name__: 'process_cpu' });
 * // [{ name: '__name__', value: 'process_cpu' }, { name: 'service_name', value: 'checkout' }] as LabelPair messages
 */
export function toLabelPairs(labels: Readonly<Record<string, string>>): LabelPair[] {
  return Object.keys(labels)
    .sort()
    .map((name) => create(LabelPairSchema, { name, value: labels[name]! }));
}

/**
 * Turns `types.v1.LabelPair` messages into a record. When a name repeats, the later pair wins;
 * rejecting duplicates is ingest validation's job, not this helper's. Names arrive from the
 * network, so the record is built with `Object.fromEntries`: a label named `__proto__` becomes an
 * ordinary key instead of replacing the prototype.
 *
 * @example
 * fromLabelPairs(request.series[0].labels); // { __name__: 'process_cpu', service_name: 'checkout' }
 */
export function fromLabelPairs(pairs: readonly LabelPair[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => [pair.name, pair.value]));
}
