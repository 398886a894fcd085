// The child process of crash.test.ts: opens the embedded store on the data dir given as
// argv[2] and writes small profiles in batches of 1 to 3, one `await write()` per batch,
// printing `ACK <k>` for each profile k of a batch once write() has resolved, until it is
// killed (or has written MAX_PROFILES and prints DONE). stdout is a pipe, which Node writes
// synchronously on Linux, so every ACK the parent reads was printed after its write resolved.
//
// Usage: node --conditions=source --import tsx crash-writer.ts <dataDir> <baseMs>
import { pathToFileURL } from 'node:url';
import { openEmbeddedStore } from '../embedded-store.js';
import type { ProfileInput } from '../profile-store.js';
import { makeSamples } from './stack-samples.js';

export const CRASH_TENANT = 'crash';
export const CRASH_PROFILE_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
export const CRASH_STEP_MS = 10_000;
const MAX_PROFILES = 5_000;

/**
 * Profile k: alone in its 10 s bucket at `baseMs + k * 10 s`, value k + 1 on `main;step_<k % 5>`,
 * in series pod=p<floor(k / 10)> so that new series keep appearing while the writer runs. Stack
 * samples, as ingest writes a pprof.
 */
export function crashProfile(k: number, baseMs: number): ProfileInput {
  return {
    labels: { service_name: 'crash-writer', pod: crashPod(k) },
    profileType: CRASH_PROFILE_TYPE,
    timeMs: baseMs + k * CRASH_STEP_MS,
    samples: makeSamples([[`main;step_${k % 5}`, k + 1]]),
  };
}

export function crashPod(k: number): string {
  return `p${Math.floor(k / 10)}`;
}

async function main(dataDir: string, baseMs: number): Promise<void> {
  const store = await openEmbeddedStore({ dataDir, compactIntervalMs: 0 });
  let k = 0;
  for (let batch = 0; k < MAX_PROFILES; batch++) {
    const size = 1 + (batch % 3);
    const profiles = Array.from({ length: size }, (_, i) => crashProfile(k + i, baseMs));
    const result = await store.write(CRASH_TENANT, profiles);
    if (result.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(result.rejected)}`);
    process.stdout.write(profiles.map((_, i) => `ACK ${k + i}\n`).join(''));
    k += size;
  }
  await store.close();
  process.stdout.write('DONE\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dataDir, baseMs] = process.argv.slice(2);
  if (dataDir === undefined || baseMs === undefined) throw new Error('usage: crash-writer.ts <dataDir> <baseMs>');
  await main(dataDir, Number(baseMs));
}
