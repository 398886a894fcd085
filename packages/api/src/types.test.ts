import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { LabelPairSchema, PointSchema, ProfileTypeSchema, SeriesSchema, StackTraceSelectorSchema } from './index.js';
import { bytesField, concatBytes, doubleField, stringField, varintField } from './test-helpers/protowire.js';

test('LabelPair: name is field 1 and value field 2, both strings', () => {
  const bytes = Uint8Array.from([
    0x0a,
    0x03,
    ...new TextEncoder().encode('env'), // field 1, wire type 2, 3 bytes
    0x12,
    0x04,
    ...new TextEncoder().encode('prod'), // field 2, wire type 2, 4 bytes
  ]);

  assert.deepEqual(fromBinary(LabelPairSchema, bytes), create(LabelPairSchema, { name: 'env', value: 'prod' }));
  assert.deepEqual(toBinary(LabelPairSchema, create(LabelPairSchema, { name: 'env', value: 'prod' })), bytes);
});

test('ProfileType skips field 3: sample_type is 4, sample_unit 5, period_type 6, period_unit 7', () => {
  const bytes = concatBytes(
    stringField(1, 'memory:alloc_space:bytes:space:bytes'),
    stringField(2, 'memory'),
    stringField(4, 'alloc_space'),
    stringField(5, 'bytes'),
    stringField(6, 'space'),
    stringField(7, 'bytes'),
  );

  const profileType = fromBinary(ProfileTypeSchema, bytes);

  assert.equal(profileType.ID, 'memory:alloc_space:bytes:space:bytes');
  assert.equal(profileType.name, 'memory');
  assert.equal(profileType.sampleType, 'alloc_space');
  assert.equal(profileType.sampleUnit, 'bytes');
  assert.equal(profileType.periodType, 'space');
  assert.equal(profileType.periodUnit, 'bytes');
});

test('Series points: value is a double (1), timestamp int64 ms (2), exemplars (4)', () => {
  const bytes = concatBytes(
    bytesField(1, stringField(1, 'service_name'), stringField(2, 'checkout')),
    bytesField(
      2,
      doubleField(1, 2.5),
      varintField(2, 1_676_282_415_000),
      bytesField(3, stringField(1, 'throttled'), stringField(2, 'true')),
      bytesField(4, varintField(1, 1_676_282_410_000), stringField(2, 'a-profile-uuid'), varintField(4, 2_450_000_000)),
    ),
  );

  const series = fromBinary(SeriesSchema, bytes);

  const point = series.points[0]!;
  assert.equal(point.value, 2.5);
  assert.equal(point.timestamp, 1_676_282_415_000n);
  assert.deepEqual(
    point.annotations.map((a) => [a.key, a.value]),
    [['throttled', 'true']],
  );
  assert.equal(point.exemplars[0]?.profileId, 'a-profile-uuid');
  assert.equal(point.exemplars[0]?.value, 2_450_000_000n);
  assert.deepEqual(toJson(PointSchema, point), {
    value: 2.5,
    timestamp: '1676282415000',
    annotations: [{ key: 'throttled', value: 'true' }],
    exemplars: [{ timestamp: '1676282410000', profileId: 'a-profile-uuid', value: '2450000000' }],
  });
});

test('StackTraceSelector JSON uses callSite and goPgo', () => {
  const selector = create(StackTraceSelectorSchema, {
    callSite: [{ name: 'main.main' }, { name: 'main.worker' }],
    goPgo: { keepLocations: 5, aggregateCallees: true },
  });

  assert.deepEqual(toJson(StackTraceSelectorSchema, selector), {
    callSite: [{ name: 'main.main' }, { name: 'main.worker' }],
    goPgo: { keepLocations: 5, aggregateCallees: true },
  });
});
