// A real Kiln server seeded with real captures, for the UI's end-to-end tests, its screenshots
// and local work on the UI (`node --conditions=source --import tsx packages/ui/e2e/seed.ts`).
//
// What is stored (all times fixed, so URLs and screenshots are reproducible):
// - `go-demo`: testdata/go/cpu.pb.gz (Go 1.19, deep stacks with inlining) every 10 s for 10
//   minutes from SEED_START_MS, on pods pod-a (3 uploads per tick), pod-b (2) and pod-c (1),
//   namespace `prod`, version `v1` in the first half and `v2` in the second. In the second half
//   every pod also uploads testdata/go-shared/cpu.pb.gz (another Go 1.19 program: sha256 and
//   allocation loops), so the diff of the two halves has real growth and shrinkage.
//   Memory: testdata/go/heap.pb.gz once per pod per minute.
// - `nodejs-app`: the official @pyroscope/nodejs 0.6.4 uploads in testdata/pyroscope-nodejs
//   (wall+CPU and heap), every 10 s.
// Each capture is re-timed (its pprof time_nanos set to the tick) and otherwise sent unchanged
// through POST /ingest, as an SDK would.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodePprof, gunzip, serializePprof } from '@kiln/formats';
import { startTestServer, type TestServer } from '../../server/src/test-helpers/server.js';
import { testdata } from '../../server/src/test-helpers/testdata.js';

export const SEED_START_MS = Date.UTC(2026, 10, 25, 10, 0, 0);
export const SEED_MINUTES = 10;
export const SEED_END_MS = SEED_START_MS + SEED_MINUTES * 60_000;
/** The two halves the diff and comparison tests use. */
export const SEED_HALF_MS = SEED_START_MS + (SEED_MINUTES / 2) * 60_000;
export const PODS = { 'pod-a': 3, 'pod-b': 2, 'pod-c': 1 } as const;

const UI_DIST = fileURLToPath(new URL('../dist', import.meta.url));

function retimed(path: string): (timeMs: number) => Uint8Array {
  const profile = decodePprof(gunzip(readFileSync(path), 1 << 28));
  return (timeMs) => serializePprof({ ...profile, timeNs: timeMs * 1e6 });
}

async function ingest(url: string, name: string, body: Uint8Array, extra = ''): Promise<void> {
  const res = await fetch(`${url}/ingest?name=${encodeURIComponent(name)}&format=pprof${extra}`, {
    method: 'POST',
    body: body as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (res.status !== 200) throw new Error(`seed upload ${name}: ${res.status} ${await res.text()}`);
}

/** Uploads the seed data set into a running server. */
export async function seed(url: string): Promise<void> {
  const goCpu = retimed(testdata('go', 'cpu.pb.gz'));
  const goShared = retimed(testdata('go-shared', 'cpu.pb.gz'));
  const goHeap = retimed(testdata('go', 'heap.pb.gz'));
  const nodeCpu = retimed(testdata('pyroscope-nodejs', 'wall-cpu-001.pprof.gz'));
  const nodeHeap = retimed(testdata('pyroscope-nodejs', 'heap-002.pprof.gz'));
  const uploads: Promise<void>[] = [];
  for (let t = SEED_START_MS; t < SEED_END_MS; t += 10_000) {
    const version = t < SEED_HALF_MS ? 'v1' : 'v2';
    for (const [pod, times] of Object.entries(PODS)) {
      const name = `go-demo{pod=${pod},namespace=prod,version=${version}}`;
      for (let i = 0; i < times; i++) uploads.push(ingest(url, name, goCpu(t + i)));
      if (t >= SEED_HALF_MS) uploads.push(ingest(url, name, goShared(t + 5)));
      if ((t - SEED_START_MS) % 60_000 === 0) uploads.push(ingest(url, name, goHeap(t)));
    }
    const node = 'nodejs-app{env=prod,region=eu-west-1}';
    uploads.push(ingest(url, node, nodeCpu(t), '&spyName=nodespy'));
    uploads.push(ingest(url, node, nodeHeap(t), '&spyName=nodespy'));
    if (uploads.length >= 32) await Promise.all(uploads.splice(0));
  }
  await Promise.all(uploads);
}

/** A fresh server (temp data directory, the built UI) with the seed data. */
export async function startSeededServer(): Promise<TestServer> {
  const server = await startTestServer({ uiDir: UI_DIST });
  try {
    await seed(server.url);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

// Local work on the UI: a seeded server on :4041 that stays up (`vite` proxies to it).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startTestServer({ uiDir: UI_DIST, listen: `127.0.0.1:${process.env.PORT ?? 4041}` });
  await seed(server.url);
  console.log(`seeded Kiln server on ${server.url}`);
}
