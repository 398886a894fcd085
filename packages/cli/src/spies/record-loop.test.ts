import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sumValues } from '@kiln/model';
import { attachRecordLoop, PY_SPY } from './record-loop.js';
import type { CollectedWindow } from './spy.js';

// py-spy is not in Debian and PyPI is out of reach here, so this stand-in plays its part of
// the contract kiln relies on (`record --pid --rate --duration --format raw --output`: sample for
// the duration, then write folded stacks). It checks the loop around it, not py-spy itself.
const STAND_IN = `#!/bin/sh
out=""; dur=1; pid=""
while [ $# -gt 0 ]; do
  case "$1" in --output) out="$2"; shift;; --duration) dur="$2"; shift;; --pid) pid="$2"; shift;; esac
  shift
done
kill -0 "$pid" 2>/dev/null || { echo "Error: no such process $pid" >&2; exit 1; }
sleep "$dur"
printf 'main (app.py:3);hot (app.py:9) 40\\nmain (app.py:3) 10\\n' > "$out"
`;

test('py-spy runs once per window; each window is CPU time (count / rate); the session ends when the process does', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'kiln-py-spy-'));
  writeFileSync(join(bin, 'py-spy'), STAND_IN);
  chmodSync(join(bin, 'py-spy'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  const target = spawn('sleep', ['3'], { stdio: 'ignore' });
  try {
    const windows: CollectedWindow[] = [];
    const session = await attachRecordLoop(PY_SPY)(target.pid!, {
      intervalMs: 1_000,
      sampleRateHz: 100,
      onWindow: (w) => windows.push(w),
      onWarning: (m) => assert.fail(m),
    });
    await session.ended;
    assert.ok(windows.length >= 2, `${windows.length} windows`);
    for (const w of windows) {
      assert.equal(w.spyName, 'pyspy');
      assert.deepEqual(w.profile.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
      assert.equal(sumValues(w.profile, 0), 50 * 10_000_000);
      assert.ok(w.endMs - w.startMs >= 900, `window of ${w.endMs - w.startMs} ms`);
    }
  } finally {
    process.env.PATH = path;
    target.kill();
  }
});
