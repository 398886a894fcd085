// A child program instrumented with the official Pyroscope Node SDK, for the compat tests
// (pyroscope-nodejs.test.ts runs it with plain `node`: JavaScript, as a user's app would be, so
// the SDK names functions `./path/sdk-app.mjs:name:line` with this file's real line numbers).
//
// What it does, so the test can predict the profiles:
// - right after Pyroscope.start(), `allocRetained` allocates CHUNKS arrays of CHUNK_LENGTH
//   small integers and keeps them all, so every heap snapshot holds them (inuse);
// - then it loops `runCycle` for KILN_COMPAT_RUN_MS: `burnHot` spins for 20 ms and `burnWarm`
//   for 10 ms, a 2:1 split of CPU and wall time between two uniquely named functions;
// - then Pyroscope.stop() (which uploads the last wall profile) and it exits.
//
// The SDK reads its server address, app name, flush interval and CPU-time switch from its own
// environment variables (PYROSCOPE_*, see the SDK's dist/esm/utils/get-env.js); tags and
// sampling settings come from init(). The SDK swallows upload errors (they only reach
// `debug('pyroscope')`) and may drop a profile when the previous upload is still running, so
// global fetch is wrapped: it saves each uploaded pprof (the raw body, or the multipart
// `profile` part) to KILN_COMPAT_UPLOAD_DIR and reports its URL, body kind, file and status on
// stdout as a JSON line; a last `{"done": ...}` line says what was allocated and when.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';

/** Elements per retained array: a FixedArray of 8-byte slots, 64 KiB plus a 16-byte header. */
const CHUNK_LENGTH = 8192;
const CHUNKS = 160;

const sdk = process.env.KILN_COMPAT_SDK;
const runMs = Number(process.env.KILN_COMPAT_RUN_MS ?? 2500);
const modules = { '0.6.4': '@pyroscope/nodejs', '0.4.13': 'pyroscope-nodejs-04' };
if (!(sdk in modules)) throw new Error(`KILN_COMPAT_SDK must be 0.6.4 or 0.4.13, not ${sdk}`);
if (!process.env.KILN_COMPAT_UPLOAD_DIR) throw new Error('KILN_COMPAT_UPLOAD_DIR is not set');
const Pyroscope = (await import(modules[sdk])).default;

const uploadDir = process.env.KILN_COMPAT_UPLOAD_DIR;
let uploadCount = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = input instanceof globalThis.Request ? input.url : String(input);
  const body = init?.body;
  const multipart = body instanceof globalThis.FormData;
  const bodyKind = multipart ? 'multipart' : body instanceof Uint8Array ? 'bytes' : typeof body;
  const bytes = multipart ? new Uint8Array(await body.get('profile').arrayBuffer()) : body;
  const file = join(uploadDir, `${String(++uploadCount).padStart(3, '0')}.pprof.gz`);
  writeFileSync(file, bytes);
  const response = await realFetch(input, init);
  const text = response.ok ? '' : await response.clone().text();
  process.stdout.write(`${JSON.stringify({ upload: { url, bodyKind, file, status: response.status, text } })}\n`);
  return response;
};

Pyroscope.init({
  tags: { env: 'compat', version: sdk },
  // 200 Hz. samplingDurationMs only feeds the SDK's `sampleRate` query parameter.
  wall: { samplingIntervalMicros: 5_000, samplingDurationMs: 1_000 },
  heap: { samplingIntervalBytes: 32 * 1024, stackDepth: 64 },
});
Pyroscope.start();
const startedMs = Date.now();

const retained = [];

function allocRetained(chunks) {
  for (let i = 0; i < chunks; i++) retained.push(new Array(CHUNK_LENGTH).fill(i));
}

// The two burners have the same body on purpose (not a shared helper, which would take the self
// time): only their names and time slices differ.
function burnHot(durationMs) {
  const end = performance.now() + durationMs;
  let x = 1;
  while (performance.now() < end) for (let i = 0; i < 2_000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

function burnWarm(durationMs) {
  const end = performance.now() + durationMs;
  let x = 1;
  while (performance.now() < end) for (let i = 0; i < 2_000; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

let sink = 0;
function runCycle() {
  sink ^= burnHot(20);
  sink ^= burnWarm(10);
}

allocRetained(CHUNKS);
await new Promise((resolve) => {
  const tick = () => {
    runCycle();
    // Back to the event loop every cycle, so the SDK's flush timers fire.
    if (Date.now() - startedMs < runMs) setImmediate(tick);
    else resolve();
  };
  tick();
});
await Pyroscope.stop();
const done = { startedMs, stoppedMs: Date.now(), chunks: retained.length, chunkLength: CHUNK_LENGTH, sink };
process.stdout.write(`${JSON.stringify({ done })}\n`);
