import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { pprof } from './index.js';

// testdata/go/cpu.pb.gz: Go 1.19 net/http/pprof, 5 s; its `go tool pprof -top` golden
// (testdata/go/cpu.cpu.top.txt) reports 7000000000ns total.
const cpuProfile = gunzipSync(readFileSync(join(import.meta.dirname, '../../../testdata/go/cpu.pb.gz')));

test('google.v1.Profile decodes a real Go CPU profile to the totals go tool pprof reports', () => {
  const profile = fromBinary(pprof.ProfileSchema, cpuProfile);
  const str = (index: bigint): string | undefined => profile.stringTable[Number(index)];

  assert.equal(profile.stringTable[0], '');
  assert.deepEqual(
    profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
    ['samples/count', 'cpu/nanoseconds'],
  );
  assert.equal(`${str(profile.periodType!.type)}/${str(profile.periodType!.unit)}`, 'cpu/nanoseconds');
  assert.equal(
    profile.sample.reduce((sum, s) => sum + s.value[1]!, 0n),
    7_000_000_000n,
  );
  assert.ok(profile.timeNanos > 0n && profile.durationNanos > 0n);

  // Every stack resolves to function names through location -> line -> function ids.
  const functions = new Map(profile.function.map((f) => [f.id, str(f.name)]));
  const locations = new Map(profile.location.map((l) => [l.id, l]));
  const leafNames = profile.sample.map((s) => functions.get(locations.get(s.locationId[0]!)!.line[0]!.functionId));
  assert.ok(leafNames.includes('crypto/sha256.block'));

  assert.deepEqual(fromBinary(pprof.ProfileSchema, toBinary(pprof.ProfileSchema, profile)), profile);
});
