import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildCallTree } from './build-call-tree.js';
import { buildStackSamples } from './build-stack-samples.js';
import { CallTreeBuilder, type CallTree } from './call-tree.js';
import { nameId, nameIdOfText } from './name-id.js';
import { ProfileBuilder } from './profile-builder.js';
import type { Profile } from './profile.js';
import { stackSampleFrames, type StackSamples } from './stack-samples.js';

/** The call tree of stack samples: what storage's dictionary rebuilds from them. */
function treeOfSamples(samples: StackSamples): CallTree {
  const b = new CallTreeBuilder();
  for (let s = 0; s < samples.length; s++) {
    if (samples.values[s] !== 0) b.insertStack(stackSampleFrames(samples, s), samples.values[s]!);
  }
  return b.build();
}

// Functions with clashing names ('f1' twice, a name that is only a system name, no name at
// all, the root's name), locations with 0 to 3 lines (inlined), samples with 2 sample types.
const FUNCTIONS = [
  { name: 'main' },
  { name: 'f1' },
  { name: 'f1', filename: 'other.go' },
  { name: '', systemName: '_ZN3fooEv' },
  { name: '' },
  { name: 'total' },
  { name: 'runtime.mallocgc' },
];
const location = fc.record({
  lines: fc.array(fc.integer({ min: 0, max: FUNCTIONS.length - 1 }), { maxLength: 3 }),
  address: fc.integer({ min: 1, max: 0xffff }),
});
const arbProfile = fc
  .record({
    locations: fc.array(location, { minLength: 1, maxLength: 12 }),
    samples: fc.array(
      fc.record({
        stack: fc.array(fc.nat(), { maxLength: 8 }),
        values: fc.tuple(fc.integer({ min: -5, max: 9 }), fc.integer({ min: 0, max: 1000 })),
      }),
      { maxLength: 25 },
    ),
  })
  .map(({ locations, samples }): Profile => {
    const b = new ProfileBuilder({
      sampleTypes: [
        { type: 'samples', unit: 'count' },
        { type: 'cpu', unit: 'nanoseconds' },
      ],
    });
    const fns = FUNCTIONS.map((f) => b.addFunction(f));
    const locs = locations.map((l) =>
      b.addLocation({ lines: l.lines.map((f) => ({ fn: fns[f]! })), address: l.address }),
    );
    for (const s of samples) {
      b.addSample(
        s.stack.map((i) => locs[i % locs.length]!),
        s.values,
      );
    }
    return b.build();
  });

test('stack samples of every sample type hold the frames and values of buildCallTree', () => {
  fc.assert(
    fc.property(arbProfile, (profile) => {
      const perType = buildStackSamples(profile);
      assert.equal(perType.length, profile.sampleTypes.length);
      for (let t = 0; t < perType.length; t++) {
        const samples = perType[t]!;
        assert.equal(samples.length, profile.samples.length);
        assert.equal(samples.stack, profile.samples.stack, "the profile's stacks, not a copy");
        assert.equal(samples.locationFrames, perType[0]!.locationFrames, 'sample types share the frames');
        const tree = buildCallTree(profile, { sampleType: t });
        assert.deepEqual(treeOfSamples(samples).toFolded(), tree.toFolded());
        assert.equal(treeOfSamples(samples).totalValue, tree.totalValue);
      }
    }),
  );
});

test('inlined functions are frames of their own, outermost first; lineless locations are addresses', () => {
  const b = new ProfileBuilder({ sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }] });
  const main = b.addFunction({ name: 'main' });
  const outer = b.addFunction({ name: 'outer' });
  const inner = b.addFunction({ name: 'inner' });
  const root = b.addLocation({ lines: [{ fn: main }] });
  // pprof lists an inlined location's lines innermost first.
  const inlined = b.addLocation({ lines: [{ fn: inner }, { fn: outer }] });
  const bare = b.addLocation({ lines: [], address: 0x4a2f10 });
  b.addSample([bare, inlined, root], [7]);
  b.addSample([root], [0]);
  const samples = buildStackSamples(b.build())[0]!;
  assert.deepEqual(stackSampleFrames(samples, 0), ['main', 'outer', 'inner', '0x4a2f10']);
  assert.deepEqual(stackSampleFrames(samples, 1), ['main']);
  assert.deepEqual([...samples.values], [7, 0]);
});

/** The profile with its strings' content ids, as the pprof decoder adds them for ingest. */
function withStringIds(profile: Profile): Profile {
  const hi = new Uint32Array(profile.strings.length);
  const lo = new Uint32Array(profile.strings.length);
  profile.strings.forEach((s, i) => nameIdOfText(s, hi, lo, i));
  return { ...profile, stringIds: { hi, lo } };
}

function assertNameIds(samples: StackSamples): void {
  assert.ok(samples.nameIds !== undefined);
  samples.names.forEach((name, i) =>
    assert.deepEqual([samples.nameIds!.hi[i], samples.nameIds!.lo[i]], nameId(name), `name ${i}: ${name}`),
  );
}

test("with the strings' ids, every name gets its own id: function names (name or system name) and addresses", () => {
  fc.assert(fc.property(arbProfile, (profile) => assertNameIds(buildStackSamples(withStringIds(profile))[0]!)));
  // Address names past the function count and the first 16 (the id array grows for functions only).
  const b = new ProfileBuilder({ sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }] });
  const main = b.addFunction({ name: 'main' });
  const locs = [b.addLocation({ lines: [{ fn: main }] })];
  for (let i = 0; i < 40; i++) locs.push(b.addLocation({ lines: [], address: 0x1000 + i }));
  b.addSample(locs, [1]);
  const samples = buildStackSamples(withStringIds(b.build()))[0]!;
  assert.equal(samples.names.length, 41);
  assertNameIds(samples);
  assert.equal(buildStackSamples(b.build())[0]!.nameIds, undefined, 'only when the profile has them');
});
