import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializeFolded } from '@kiln/formats';
import { functionName } from '@kiln/model';
import { cpuprofileToProfile, type Cpuprofile, type CpuprofileCallFrame } from './cpuprofile-to-profile.js';

function frame(functionName: string, url = '', lineNumber = -1, columnNumber = -1): CpuprofileCallFrame {
  return { functionName, scriptId: url === '' ? '0' : '7', url, lineNumber, columnNumber };
}

// Shaped like what Node 20's `Profiler.stop` returns (0-based lines, file:// URLs for modules).
const CPUPROFILE: Cpuprofile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [8, 5, 6, 7] },
    { id: 8, callFrame: frame('processTimers', 'node:internal/timers', 503, 24), children: [2] },
    { id: 2, callFrame: frame('main', 'file:///app/src/main.js', 9, 0), children: [3] },
    { id: 3, callFrame: frame('', 'file:///app/src/main.js', 19, 12), children: [4] },
    { id: 4, callFrame: frame('kilnHot', 'file:///other/hot.js', 2, 4) },
    { id: 5, callFrame: frame('(program)') },
    { id: 6, callFrame: frame('(idle)') },
    { id: 7, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1000,
  endTime: 1100,
  samples: [4, 4, 3, 6, 5, 7, 4, 6],
  // Timestamps 1010, 1020, 1030, 1040, 1050, 1060, 1075, 1070: the last sample came out of order.
  timeDeltas: [10, 10, 10, 10, 10, 10, 15, -5],
};

test("cpuprofileToProfile: each sample lasts until the next, (idle) is dropped, names are the SDK's", () => {
  const profile = cpuprofileToProfile(CPUPROFILE, { periodNs: 10_000, timeNs: 1_700_000_000_000_000_000, cwd: '/app' });

  assert.deepEqual(profile.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
  assert.deepEqual(profile.periodType, { type: 'cpu', unit: 'nanoseconds' });
  assert.equal(profile.period, 10_000);
  assert.equal(profile.timeNs, 1_700_000_000_000_000_000);
  assert.equal(profile.durationNs, 100_000);
  // kilnHot: 10 + 10 + 0 µs (its third sample is followed by one 5 µs earlier); the anonymous
  // function 10 µs; (program) 10 µs; the collector 15 µs; the two (idle) samples (10 + 30 µs) gone.
  assert.equal(
    serializeFolded(profile),
    [
      '(garbage collector) 15000',
      '(program) 10000',
      'node:internal/timers:processTimers:504;./src/main.js:main:10;./src/main.js:(anonymous):20 10000',
      'node:internal/timers:processTimers:504;./src/main.js:main:10;./src/main.js:(anonymous):20;/other/hot.js:kilnHot:3 20000',
      '',
    ].join('\n'),
  );
  const hot = [...Array(profile.functions.length).keys()].find((f) => functionName(profile, f).includes('kilnHot'))!;
  assert.equal(profile.strings[profile.functions.systemName[hot]!], 'kilnHot');
  assert.equal(profile.strings[profile.functions.filename[hot]!], '/other/hot.js');
  assert.equal(profile.functions.startLine[hot], 3);
});

test('cpuprofileToProfile: an unknown cwd leaves paths absolute; a name with a colon is kept', () => {
  const profile = cpuprofileToProfile(
    {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('Map.get:custom', 'file:///app/a.js', 0, 0), children: [3] },
        { id: 3, callFrame: frame('b', 'file:///app/a.js', 4, 0) },
      ],
      startTime: 0,
      endTime: 30,
      samples: [3, 2],
      timeDeltas: [10, 5],
    },
    { periodNs: 1000, timeNs: 0, cwd: '' },
  );
  assert.equal(serializeFolded(profile), 'Map.get:custom 15000\nMap.get:custom;/app/a.js:b:5 5000\n');
});

test('cpuprofileToProfile: a profile of nothing but (idle) has no samples', () => {
  const profile = cpuprofileToProfile(
    {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('(idle)') },
      ],
      startTime: 0,
      endTime: 1_000_000,
      samples: [2, 2],
      timeDeltas: [500_000, 250_000],
    },
    { periodNs: 1000, timeNs: 0, cwd: '/' },
  );
  assert.equal(profile.samples.length, 0);
});
