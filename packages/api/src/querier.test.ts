import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import {
  AsyncQueryType,
  DiffResponseSchema,
  ExemplarType,
  FlameGraphSchema,
  ProfileFormat,
  ProfileTypesResponseSchema,
  SelectMergeSpanProfileRequestSchema,
  SelectMergeStacktracesRequestSchema,
  SelectSeriesRequestSchema,
  SeriesResponseSchema,
  TimeSeriesAggregationType,
} from './index.js';
import {
  bytesField,
  concatBytes,
  doubleField,
  packedVarintField,
  stringField,
  varintField,
} from './test-helpers/protowire.js';

const cpuType = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const startMs = 1_676_282_400_000n;
const endMs = 1_676_289_600_000n;

// The flame graph of the stacks a;b 3, a 1, c 2 (the worked example of Pyroscope's flamebearer
// encoding): 4 numbers per node, [x offset, total, self, name index].
const exampleFlameGraph = create(FlameGraphSchema, {
  names: ['total', 'c', 'a', 'b'],
  levels: [{ values: [0n, 6n, 0n, 0n] }, { values: [0n, 4n, 1n, 2n, 0n, 2n, 2n, 1n] }, { values: [1n, 3n, 3n, 3n] }],
  total: 6n,
  maxSelf: 3n,
});

test('SelectMergeStacktracesRequest bytes written by hand from the field numbers decode to the right fields', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';
  const bytes = concatBytes(
    stringField(1, cpuType), // profile_typeID
    stringField(2, '{service_name="checkout"}'), // label_selector
    varintField(3, startMs),
    varintField(4, endMs),
    varintField(5, 16_384), // max_nodes
    varintField(6, 4), // format = PROFILE_FORMAT_PPROF
    bytesField(7, bytesField(1, stringField(1, 'main.main')), bytesField(2, varintField(1, 1), varintField(2, 1))),
    stringField(8, 'a-profile-uuid'), // profile_id_selector
    bytesField(9, stringField(1, 'query-1'), varintField(2, 1)), // async { request_id, type = FORCE }
    stringField(10, traceId),
    stringField(11, spanId),
  );

  const request = fromBinary(SelectMergeStacktracesRequestSchema, bytes);

  assert.equal(request.profileTypeID, cpuType);
  assert.equal(request.labelSelector, '{service_name="checkout"}');
  assert.equal(request.start, startMs);
  assert.equal(request.end, endMs);
  assert.equal(request.maxNodes, 16_384n);
  assert.equal(request.format, ProfileFormat.PPROF);
  assert.deepEqual(
    request.stackTraceSelector?.callSite.map((l) => l.name),
    ['main.main'],
  );
  assert.equal(request.stackTraceSelector?.goPgo?.keepLocations, 1);
  assert.equal(request.stackTraceSelector?.goPgo?.aggregateCallees, true);
  assert.deepEqual(request.profileIdSelector, ['a-profile-uuid']);
  assert.equal(request.async?.requestId, 'query-1');
  assert.equal(request.async?.type, AsyncQueryType.FORCE);
  assert.deepEqual(request.traceIdSelector, [traceId]);
  assert.deepEqual(request.spanSelector, [spanId]);
  assert.deepEqual(toBinary(SelectMergeStacktracesRequestSchema, request), bytes);
});

test('SelectMergeSpanProfileRequest numbers its fields differently from SelectMergeStacktracesRequest', () => {
  const bytes = concatBytes(
    stringField(1, cpuType),
    stringField(2, '{}'),
    stringField(3, '00f067aa0ba902b7'), // span_selector
    varintField(4, startMs),
    varintField(5, endMs),
    varintField(6, 100), // max_nodes
    varintField(7, 2), // format = PROFILE_FORMAT_TREE
  );

  const request = fromBinary(SelectMergeSpanProfileRequestSchema, bytes);

  assert.deepEqual(request.spanSelector, ['00f067aa0ba902b7']);
  assert.equal(request.start, startMs);
  assert.equal(request.end, endMs);
  assert.equal(request.maxNodes, 100n);
  assert.equal(request.format, ProfileFormat.TREE);
});

test('SelectSeriesRequest bytes written by hand decode, step as a double in seconds', () => {
  const bytes = concatBytes(
    stringField(1, cpuType),
    stringField(2, '{}'),
    varintField(3, startMs),
    varintField(4, endMs),
    stringField(5, 'pod'), // group_by
    doubleField(6, 15), // step
    varintField(7, 1), // aggregation = AVERAGE
    varintField(9, 10), // limit
    varintField(10, 2), // exemplar_type = INDIVIDUAL
  );

  const request = fromBinary(SelectSeriesRequestSchema, bytes);

  assert.deepEqual(request.groupBy, ['pod']);
  assert.equal(request.step, 15);
  assert.equal(request.aggregation, TimeSeriesAggregationType.AVERAGE);
  assert.equal(request.limit, 10n);
  assert.equal(request.exemplarType, ExemplarType.INDIVIDUAL);
  assert.deepEqual(toBinary(SelectSeriesRequestSchema, request), bytes);
});

test('SeriesResponse carries its label sets in field 2', () => {
  const bytes = bytesField(2, bytesField(1, stringField(1, 'service_name'), stringField(2, 'checkout')));

  const response = fromBinary(SeriesResponseSchema, bytes);

  assert.deepEqual(
    response.labelsSet.map((set) => set.labels.map((l) => [l.name, l.value])),
    [[['service_name', 'checkout']]],
  );
});

test('FlameGraph encodes names=1, levels=2 (packed int64), total=3, max_self=4', () => {
  const bytes = concatBytes(
    ...exampleFlameGraph.names.map((name) => stringField(1, name)),
    bytesField(2, packedVarintField(1, [0, 6, 0, 0])),
    bytesField(2, packedVarintField(1, [0, 4, 1, 2, 0, 2, 2, 1])),
    bytesField(2, packedVarintField(1, [1, 3, 3, 3])),
    varintField(3, 6),
    varintField(4, 3),
  );

  assert.deepEqual(fromBinary(FlameGraphSchema, bytes), exampleFlameGraph);
  assert.deepEqual(toBinary(FlameGraphSchema, exampleFlameGraph), bytes);
});

test('FlameGraph JSON has int64 values as strings, the way the Pyroscope UI and Grafana read it', () => {
  assert.deepEqual(toJson(FlameGraphSchema, exampleFlameGraph), {
    names: ['total', 'c', 'a', 'b'],
    levels: [
      { values: ['0', '6', '0', '0'] },
      { values: ['0', '4', '1', '2', '0', '2', '2', '1'] },
      { values: ['1', '3', '3', '3'] },
    ],
    total: '6',
    maxSelf: '3',
  });
});

test('DiffResponse JSON keeps the leftTicks and rightTicks names', () => {
  const response = create(DiffResponseSchema, {
    flamegraph: {
      names: ['total'],
      levels: [{ values: [0n, 5n, 0n, 0n, 7n, 0n, 0n] }],
      total: 12n,
      leftTicks: 5n,
      rightTicks: 7n,
    },
  });

  assert.deepEqual(toJson(DiffResponseSchema, response), {
    flamegraph: {
      names: ['total'],
      levels: [{ values: ['0', '5', '0', '0', '7', '0', '0'] }],
      total: '12',
      leftTicks: '5',
      rightTicks: '7',
    },
  });
});

test('SelectMergeStacktracesRequest JSON: int64 as strings out, numbers or strings and proto names in', () => {
  const request = create(SelectMergeStacktracesRequestSchema, {
    profileTypeID: cpuType,
    labelSelector: '{}',
    start: startMs,
    end: endMs,
    maxNodes: 8192n,
    format: ProfileFormat.FLAMEGRAPH,
  });

  // Zero values (the unset selectors) are left out, as Connect JSON does.
  assert.deepEqual(toJson(SelectMergeStacktracesRequestSchema, request), {
    profileTypeID: cpuType,
    labelSelector: '{}',
    start: '1676282400000',
    end: '1676289600000',
    maxNodes: '8192',
    format: 'PROFILE_FORMAT_FLAMEGRAPH',
  });
  // What the Pyroscope UI sends: JSON names, int64 as numbers.
  const fromUi = {
    profileTypeID: cpuType,
    labelSelector: '{}',
    start: 1676282400000,
    end: 1676289600000,
    maxNodes: 8192,
    format: 1,
  };
  assert.deepEqual(fromJson(SelectMergeStacktracesRequestSchema, fromUi), request);
  // Proto field names and int64 strings are accepted too.
  const withProtoNames = {
    profile_typeID: cpuType,
    label_selector: '{}',
    start: '1676282400000',
    end: '1676289600000',
    max_nodes: '8192',
    format: 'PROFILE_FORMAT_FLAMEGRAPH',
  };
  assert.deepEqual(fromJson(SelectMergeStacktracesRequestSchema, withProtoNames), request);
});

test('ProfileTypesResponse JSON uses profileTypes, ID and camelCase sample and period names', () => {
  const json = {
    profileTypes: [
      {
        ID: cpuType,
        name: 'process_cpu',
        sampleType: 'cpu',
        sampleUnit: 'nanoseconds',
        periodType: 'cpu',
        periodUnit: 'nanoseconds',
      },
    ],
  };
  const response = fromJson(ProfileTypesResponseSchema, json);

  assert.equal(response.profileTypes[0]?.ID, cpuType);
  assert.equal(response.profileTypes[0]?.periodUnit, 'nanoseconds');
  assert.deepEqual(toJson(ProfileTypesResponseSchema, response), json);
});

test('SeriesResponse JSON calls its label sets labelsSet', () => {
  const response = create(SeriesResponseSchema, {
    labelsSet: [{ labels: [{ name: 'service_name', value: 'checkout' }] }],
  });

  assert.deepEqual(toJson(SeriesResponseSchema, response), {
    labelsSet: [{ labels: [{ name: 'service_name', value: 'checkout' }] }],
  });
});
