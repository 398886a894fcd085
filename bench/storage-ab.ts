// The storage bench as an A/B run: another Kiln checkout's ingest path (its gunzip, decoder,
// call tree or stack samples, and embedded store) beside this one's, tick by tick in one
// process (benchStorage's `paths`), so both see the same load on a shared machine.
//
//   mkdir /tmp/kiln-base && git archive <commit> | tar -x -C /tmp/kiln-base
//   BENCH_BASE=/tmp/kiln-base npm run bench -- storage-ab      (BENCH_STORAGE_QUICK=1 works too)
//
// The base gets a node_modules of links: this checkout's dependencies, and its own @kiln/*
// packages, whose sources run through tsx like ours.
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchStorage, CURRENT_PATH, type DecodedUpload, type IngestPath } from './storage.js';

export async function benchStorageAb(base = process.env['BENCH_BASE']): Promise<string> {
  if (base === undefined) throw new Error('BENCH_BASE names the other checkout (see bench/storage-ab.ts)');
  const root = resolve(base);
  linkModules(root);
  const load = (path: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(root, path)).href);
  const formats = await load('packages/formats/src/index.ts');
  const model = await load('packages/model/src/index.ts');
  const store = await load('packages/server/src/storage/embedded-store.ts');
  // As its ingest decodes (parsePprof); checkouts from before stringIds ignore the option.
  const parsePprof = formats['parsePprof'] as (gz: Uint8Array, o: object) => DecodedUpload;
  const buildStackSamples = model['buildStackSamples'] as ((p: DecodedUpload) => object[]) | undefined;
  const buildCallTree = model['buildCallTree'] as (p: DecodedUpload) => object;
  const openEmbeddedStore = store['openEmbeddedStore'] as (o: object) => ReturnType<IngestPath['openStore']>;
  const basePath: IngestPath = {
    name: `base (${base})`,
    decode: (gz) => parsePprof(gz, { stringIds: true }),
    // Checkouts from before stack samples write call trees.
    body: (p) => (buildStackSamples ? { samples: buildStackSamples(p)[0] } : { tree: buildCallTree(p) }),
    openStore: (dataDir, now) => openEmbeddedStore({ dataDir, compactIntervalMs: 0, now }),
  };
  return benchStorage({ paths: [basePath, CURRENT_PATH] });
}

/** node_modules for the base: links to this checkout's packages, @kiln/* to the base's own. */
export function linkModules(root: string): void {
  const modules = join(root, 'node_modules');
  if (existsSync(modules)) return;
  const ours = join(import.meta.dirname, '..', 'node_modules');
  mkdirSync(join(modules, '@kiln'), { recursive: true });
  for (const name of readdirSync(ours)) {
    if (name !== '@kiln' && !name.startsWith('.')) symlinkSync(join(ours, name), join(modules, name));
  }
  for (const pkg of readdirSync(join(root, 'packages'))) {
    symlinkSync(join(root, 'packages', pkg), join(modules, '@kiln', pkg));
  }
}
