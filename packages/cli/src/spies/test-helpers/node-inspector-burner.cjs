/* global process, setTimeout */
// The program node-inspector.test.ts attaches to: a CommonJS Node program (as most services are)
// that spends most of its time in one function with a name found nowhere else, and sleeps briefly
// between bursts so that its profile also has (idle) samples. It prints `ready` once running and
// exits when its stdin gets a line.
'use strict';

function kilnInspectorBurner(untilMs) {
  let x = 0;
  while (Date.now() < untilMs) x += Math.sqrt(x + 1);
  return x;
}

function burst() {
  kilnInspectorBurner(Date.now() + 20);
  setTimeout(burst, 5);
}

burst();
process.stdin.on('data', () => process.exit(0));
process.stdout.write('ready\n');
