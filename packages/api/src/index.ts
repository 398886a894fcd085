/**
 * Kiln's wire types: the Pyroscope-compatible push and query APIs, generated from packages/api/proto
 * by `npm run gen:api` (never edit src/gen by hand). Messages are plain objects made with `create`
 * from @bufbuild/protobuf and converted with `toBinary`/`fromBinary`/`toJson`/`fromJson`; the
 * services (`PusherService`, `QuerierService`) plug into Connect clients and servers.
 *
 * The push.v1, querier.v1 and types.v1 names are exported as they are, for example
 * `PushRequestSchema` and `FlameGraph`. The pprof messages of google.v1 sit under `pprof`
 * (`pprof.ProfileSchema`): pprof's `Location` would collide with the call-site `Location` of
 * types.v1, and names like `Function` or `Sample` say too little on their own.
 *
 * @example
 * import { create, toBinary } from '@bufbuild/protobuf';
 * import { PushRequestSchema, toLabelPairs } from '@kiln/api';
 *
 * const labels = toLabelPairs({ __name__: 'process_cpu', service_name: 'checkout' });
 * const rawProfile = readFileSync('cpu.pb.gz'); // gzipped pprof
 * const request = create(PushRequestSchema, { series: [{ labels, samples: [{ rawProfile }] }] });
 * const body = toBinary(PushRequestSchema, request); // POST to /push.v1.PusherService/Push
 */
export * from './gen/push/v1/push_pb.js';
export * from './gen/querier/v1/querier_pb.js';
export * from './gen/types/v1/types_pb.js';
export * as pprof from './gen/google/v1/profile_pb.js';
export { fromLabelPairs, toLabelPairs } from './label-pairs.js';
