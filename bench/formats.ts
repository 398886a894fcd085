import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildCallTree, CallTreeBuilder, encodeFlamebearer, mergeCallTrees, type CallTree } from '@kiln/model';
import { decodePprof, parseFolded, scanVarints, serializeFolded, serializePprof } from '@kiln/formats';
import { Profile as PprofFormatProfile } from 'pprof-format';
import { bench, formatRate, table } from './harness.js';
import { mulberry32, syntheticCpuProfile } from './synthetic-profile.js';

const root = join(import.meta.dirname, '..');

interface PprofInput {
  name: string;
  gz: Uint8Array;
  raw: Uint8Array;
}

function pprofInputs(): PprofInput[] {
  const synthetic = serializePprof(syntheticCpuProfile(), { gzip: false });
  const inputs: PprofInput[] = [
    { name: 'synthetic busy 10 s CPU (5,000 samples)', raw: synthetic, gz: gzipSync(synthetic, { level: 6 }) },
  ];
  for (const file of [
    'go/cpu.pb.gz',
    'go/heap.pb.gz',
    'go/goroutine.pb.gz',
    'pyroscope-nodejs/fresh/wall-cpu-001.pprof.gz',
  ]) {
    const gz = readFileSync(join(root, 'testdata', file));
    inputs.push({ name: file, gz, raw: gunzipSync(gz) });
  }
  return inputs;
}

/** pprof decode-and-build against its floor (gunzip alone + a bare varint scan). */
export function benchPprof(): string {
  const rows: (string | number)[][] = [];
  for (const input of pprofInputs()) {
    const gunzip = bench('gunzip', () => gunzipSync(input.gz));
    const scan = bench('scan', () => scanVarints(input.raw));
    const decode = bench('decode', () => decodePprof(gunzipSync(input.gz)));
    const full = bench('decode+tree', () => buildCallTree(decodePprof(gunzipSync(input.gz))));
    // The well-kept library alternative, on the same bytes: DataDog's pprof-format.
    const library = bench('pprof-format', () => PprofFormatProfile.decode(gunzipSync(input.gz)));
    const floor = 1 / (1 / gunzip.opsPerSec + 1 / scan.opsPerSec);
    const mb = input.raw.length / 1e6;
    rows.push([
      input.name,
      `${(input.gz.length / 1024).toFixed(1)} / ${(input.raw.length / 1024).toFixed(1)}`,
      formatRate(gunzip.opsPerSec),
      formatRate(scan.opsPerSec),
      formatRate(floor),
      `${formatRate(decode.opsPerSec)} (${(decode.opsPerSec * mb).toFixed(0)} MB/s)`,
      `**${(decode.opsPerSec / floor).toFixed(2)}**`,
      `${formatRate(full.opsPerSec)} (${(full.opsPerSec * mb).toFixed(0)} MB/s)`,
      (full.opsPerSec / floor).toFixed(2),
      `${formatRate(library.opsPerSec)} (ours ${(decode.opsPerSec / library.opsPerSec).toFixed(1)}×)`,
    ]);
  }
  return table(
    [
      'pprof input',
      'KiB gz / raw',
      'floor: gunzip /s',
      'floor: varint scan /s',
      'floor: gunzip + scan /s',
      'gunzip + decode + build Profile /s (raw MB/s)',
      'ratio (target ≥ 0.5)',
      '… + build call tree /s (raw MB/s)',
      'ratio',
      'gunzip + pprof-format decode /s',
    ],
    rows,
  );
}

export function benchFolded(): string {
  const text = new TextEncoder().encode(serializeFolded(syntheticCpuProfile(), { sampleType: 1 }));
  const parse = bench('folded parse', () => parseFolded(text));
  const split = bench('split lines', () => new TextDecoder().decode(text).split('\n').length);
  const mb = text.length / 1e6;
  return table(
    ['folded input', 'bytes', 'floor: decode + split lines /s', 'parseFolded /s (MB/s)', 'ratio to floor'],
    [
      [
        'synthetic CPU as folded (cpu ns)',
        text.length.toLocaleString('en-US'),
        formatRate(split.opsPerSec),
        `${formatRate(parse.opsPerSec)} (${(parse.opsPerSec * mb).toFixed(0)} MB/s)`,
        (parse.opsPerSec / split.opsPerSec).toFixed(2),
      ],
    ],
  );
}

function totalNodes(trees: readonly CallTree[]): number {
  return trees.reduce((n, t) => n + t.size, 0);
}

export function benchMerge(): string {
  // 1,000 profiles of one service: 20 distinct synthetic profiles, each repeated 50 times.
  const distinct = Array.from({ length: 20 }, (_, i) => buildCallTree(syntheticCpuProfile(100 + i)));
  const trees = Array.from({ length: 1000 }, (_, i) => distinct[i % distinct.length]!);
  const merge = bench('merge 1000', () => mergeCallTrees(trees), { runs: 5, minRoundMs: 500 });
  const touch = bench('touch every node', () => {
    let sum = 0;
    for (const t of trees) for (let i = 0; i < t.size; i++) sum += t.self[i]! + t.nameId[i]! + t.parent[i]!;
    return sum;
  });
  const merged = mergeCallTrees(trees);
  return table(
    [
      'merge',
      'input nodes',
      'merged nodes',
      'floor: read every input node /s',
      'mergeCallTrees /s',
      'ms per merge',
      'ratio',
    ],
    [
      [
        '1,000 CPU profiles (call trees)',
        totalNodes(trees).toLocaleString('en-US'),
        merged.size.toLocaleString('en-US'),
        formatRate(touch.opsPerSec),
        formatRate(merge.opsPerSec),
        (1000 / merge.opsPerSec).toFixed(0),
        (merge.opsPerSec / touch.opsPerSec).toFixed(3),
      ],
    ],
  );
}

/** A tree of exactly `size` nodes: a random walk that branches like real call trees. */
export function treeOfSize(size: number, seed = 7): CallTree {
  const random = mulberry32(seed);
  const b = new CallTreeBuilder();
  const names = Array.from({ length: 5000 }, (_, i) => `pkg${i % 40}.Type${i % 300}.method${i}`);
  const ids = names.map((n) => b.intern(n));
  while (b.size < size) {
    let node = 0;
    const depth = 5 + Math.floor(random() * 35);
    for (let d = 0; d < depth && b.size < size; d++)
      node = b.child(node, ids[Math.floor(random() * random() * ids.length)]!);
    b.addSelf(node, 1 + Math.floor(random() * 100));
  }
  return b.build();
}

export function benchFlamebearer(): string {
  const tree = treeOfSize(100_000);
  const encode = bench('encode', () => encodeFlamebearer(tree));
  const walk = bench('dfs', () => {
    let sum = 0;
    const stack = [0];
    while (stack.length > 0) {
      const n = stack.pop()!;
      sum += tree.total[n]!;
      for (const c of tree.children(n)) stack.push(c);
    }
    return sum;
  });
  const trimmed = bench('encode maxNodes 8192', () => encodeFlamebearer(tree, { maxNodes: 8192 }));
  return table(
    [
      'flamebearer',
      'nodes',
      'floor: DFS over the tree /s',
      'encode all nodes /s',
      'ms per encode',
      'ratio',
      'trim to 8,192 + encode /s',
    ],
    [
      [
        'synthetic call tree',
        (tree.size - 1).toLocaleString('en-US'),
        formatRate(walk.opsPerSec),
        formatRate(encode.opsPerSec),
        (1000 / encode.opsPerSec).toFixed(1),
        (encode.opsPerSec / walk.opsPerSec).toFixed(2),
        formatRate(trimmed.opsPerSec),
      ],
    ],
  );
}
