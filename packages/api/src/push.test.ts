import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { create, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { PushRequestSchema, RawSampleSchema, toLabelPairs } from './index.js';
import { bytesField, stringField } from './test-helpers/protowire.js';

// A real Go 1.19 CPU profile from net/http/pprof; testdata/go/README.md says how it was made.
const cpuProfileGz = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../testdata/go/cpu.pb.gz')));
const profileId = '734fd599-6865-419e-9475-932762d8f469';

function pushOfCpuProfile() {
  return create(PushRequestSchema, {
    series: [
      {
        labels: toLabelPairs({ __name__: 'process_cpu', service_name: 'checkout', env: 'prod' }),
        samples: [{ rawProfile: cpuProfileGz, ID: profileId }],
      },
    ],
  });
}

test('a PushRequest carrying a real gzipped pprof survives binary encode and decode byte for byte', () => {
  const encoded = toBinary(PushRequestSchema, pushOfCpuProfile());
  const decoded = fromBinary(PushRequestSchema, encoded);

  assert.equal(decoded.series.length, 1);
  const [series] = decoded.series;
  assert.deepEqual(
    series!.labels.map((l) => [l.name, l.value]),
    [
      ['__name__', 'process_cpu'],
      ['env', 'prod'],
      ['service_name', 'checkout'],
    ],
  );
  assert.equal(series!.samples[0]!.ID, profileId);
  assert.deepEqual(new Uint8Array(series!.samples[0]!.rawProfile), cpuProfileGz);
  assert.deepEqual(toBinary(PushRequestSchema, decoded), encoded);
});

test('PushRequest bytes written by hand from the field numbers decode to the right fields', () => {
  // PushRequest.series=1 { RawProfileSeries.labels=1 { LabelPair name=1 value=2 },
  //   samples=2 { RawSample raw_profile=1, ID=2 }, annotations=3 { key=1 value=2 } }
  const rawProfile = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00]);
  const bytes = bytesField(
    1,
    bytesField(1, stringField(1, 'service_name'), stringField(2, 'checkout')),
    bytesField(2, bytesField(1, rawProfile), stringField(2, profileId)),
    bytesField(3, stringField(1, 'source'), stringField(2, 'alloy')),
  );

  const request = fromBinary(PushRequestSchema, bytes);

  const series = request.series[0]!;
  assert.deepEqual(
    series.labels.map((l) => [l.name, l.value]),
    [['service_name', 'checkout']],
  );
  assert.deepEqual(new Uint8Array(series.samples[0]!.rawProfile), rawProfile);
  assert.equal(series.samples[0]!.ID, profileId);
  assert.deepEqual(
    series.annotations.map((a) => [a.key, a.value]),
    [['source', 'alloy']],
  );
  assert.deepEqual(toBinary(PushRequestSchema, request), bytes);
});

test('RawSample in JSON names its id "ID" and carries the profile as base64', () => {
  const sample = create(RawSampleSchema, { rawProfile: cpuProfileGz.subarray(0, 4), ID: profileId });

  assert.deepEqual(toJson(RawSampleSchema, sample), { rawProfile: 'H4sIAA==', ID: profileId });
  // Connect JSON parsers accept the proto field names as well as the JSON names.
  const parsed = fromJson(RawSampleSchema, { raw_profile: 'H4sIAA==', ID: profileId });
  assert.deepEqual(parsed, sample);
});

test('a whole PushRequest in JSON round-trips, with the pprof bytes intact', () => {
  const json = toJson(PushRequestSchema, pushOfCpuProfile());
  assert.deepEqual(json.series?.[0]?.labels?.[0], { name: '__name__', value: 'process_cpu' });
  assert.equal(json.series?.[0]?.samples?.[0]?.ID, profileId);

  const decoded = fromJson(PushRequestSchema, JSON.parse(JSON.stringify(json)));
  assert.deepEqual(new Uint8Array(decoded.series[0]!.samples[0]!.rawProfile), cpuProfileGz);
  assert.deepEqual(decoded, pushOfCpuProfile());
});
