// npm run bench -- browser: the flame graph in Debian's Chromium (packages/ui/e2e/browser.ts).
// Time to first paint and frame times while zooming, on synthetic flamebearers of 10,000 to
// 1,000,000 nodes drawn by the real FlameGraph component at 1,280 px, and the UI's bundle sizes.
// BENCH_BROWSER_RUNS sets the page loads per graph (default 5; 3 for the largest).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CallTreeBuilder, encodeFlamebearer, type CallTree } from '@kiln/model';
import { build } from 'vite';
import { launchChromium } from '../packages/ui/e2e/browser.js';
import type { BenchWindow, FirstPaint, ZoomFrames } from './browser-page/bench-api.js';
import { table } from './harness.js';
import { mulberry32 } from './synthetic-profile.js';

const root = join(import.meta.dirname, '..');
const uiDir = join(root, 'packages/ui');
const VIEWPORT = { width: 1_280, height: 900 };
const SIZES = [10_000, 100_000, 1_000_000];

interface Graph {
  nodes: number;
  levels: number;
  json: Buffer;
  /** Deep nodes to zoom into: along the heaviest path, and anywhere deep. */
  targets: string[][];
}

/**
 * A call tree of about `nodes` nodes, seeded: stacks 20 to 60 deep that fork from earlier
 * stacks (popular ones more often, as hot paths are), Go-style names from 5,000 functions in
 * 60 packages, and values from a heavy-tailed distribution, so a few stacks are wide and most
 * are narrow, as in a real CPU profile.
 */
function syntheticTree(nodes: number, seed: number): CallTree {
  const random = mulberry32(seed);
  const zipf = (n: number): number => Math.min(n - 1, Math.floor(n * Math.pow(random(), 3)));
  const functions = Array.from({ length: 5_000 }, (_, i) => {
    const pkg =
      i % 60 < 10
        ? `runtime${i % 60 === 0 ? '' : `/internal/p${i % 60}`}`
        : `github.com/acme/svc/internal/pkg${i % 60}`;
    return `${pkg}.(*Handler${i % 37}).process${i % 7 === 0 ? 'Request' : 'Step'}${i}`;
  });
  const b = new CallTreeBuilder();
  const stacks: string[][] = [];
  while (b.size < nodes) {
    const depth = 20 + Math.floor(random() * 41);
    let stack: string[] = [];
    if (stacks.length > 0 && random() < 0.9) {
      const base = stacks[zipf(stacks.length)]!;
      stack = base.slice(0, 1 + Math.floor(random() * (base.length - 1)));
    }
    while (stack.length < depth) stack.push(functions[zipf(functions.length)]!);
    stacks.push(stack);
    b.insertStack(stack, 1 + Math.floor(10_000 * Math.pow(random(), 8)) * 10_000_000);
  }
  return b.build();
}

function syntheticGraph(nodes: number): Graph {
  const tree = syntheticTree(nodes, 7);
  const depth = new Int32Array(tree.size);
  for (let i = 1; i < tree.size; i++) depth[i] = depth[tree.parent[i]!]! + 1;
  const heavy: string[][] = [];
  for (let node = 0, d = 0; d < 30; d++) {
    const children = tree.children(node);
    if (children.length === 0) break;
    node = children.reduce((a, c) => (tree.total[c]! > tree.total[a]! ? c : a), children[0]!);
    if (d === 7 || d === 15 || d === 25) heavy.push(tree.path(node));
  }
  const random = mulberry32(11);
  const deep: string[][] = [];
  while (deep.length < 3) {
    const node = Math.floor(random() * tree.size);
    if (depth[node]! >= 15) deep.push(tree.path(node));
  }
  const fb = encodeFlamebearer(tree);
  return {
    nodes: tree.size,
    levels: fb.levels.length,
    json: Buffer.from(JSON.stringify(fb)),
    targets: [...heavy, ...deep],
  };
}

async function buildBenchPage(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: join(root, 'bench/browser-page'),
    logLevel: 'warn',
    resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
    oxc: { jsx: { runtime: 'automatic' } },
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  });
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function serve(pageDir: string, graphs: Graph[]): Promise<Server> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const graph = /^\/fb\/(\d+)\.json$/.exec(url);
    if (graph !== null) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(graphs[Number(graph[1])]!.json);
      return;
    }
    const file = join(pageDir, url === '/' ? 'index.html' : url.slice(1));
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const count = (v: number): string => v.toLocaleString('en-US');

/** p50 / p95 / max of frame times. */
function spread(values: number[]): string {
  return `${ms(quantile(values, 0.5))} / ${ms(quantile(values, 0.95))} / ${ms(Math.max(...values))}`;
}

/** Median, with the range of the runs. */
function medianOf(values: number[]): string {
  return `${ms(quantile(values, 0.5))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function bundleSizes(): Promise<string> {
  // The app's config names its root relative to packages/ui; an inline root says the same from anywhere.
  await build({ configFile: join(uiDir, 'vite.config.ts'), root: join(uiDir, 'src/app'), logLevel: 'warn' });
  await build({ configFile: join(uiDir, 'vite.standalone.config.ts'), logLevel: 'warn' });
  const rows: (string | number)[][] = [];
  const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
  const add = (what: string, files: string[]): void => {
    const raw = files.reduce((sum, f) => sum + statSync(f).size, 0);
    const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    rows.push([what, files.length, kb(raw), kb(gz)]);
  };
  const app = filesUnder(join(uiDir, 'dist/app'));
  add(
    'app JS (dist/app)',
    app.filter((f) => f.endsWith('.js')),
  );
  add(
    'app CSS (dist/app)',
    app.filter((f) => f.endsWith('.css')),
  );
  add('standalone script, CSS inside (dist/standalone/kiln-standalone.js)', [
    join(uiDir, 'dist/standalone/kiln-standalone.js'),
  ]);
  return table(['bundle', 'files', 'KiB raw', 'KiB gzip -9'], rows);
}

export async function benchBrowser(): Promise<string> {
  const graphs = SIZES.map(syntheticGraph);
  const pageDir = mkdtempSync(join(tmpdir(), 'kiln-bench-page-'));
  const browser = await launchChromium();
  let server: Server | undefined;
  try {
    await buildBenchPage(pageDir);
    server = await serve(pageDir, graphs);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // One unmeasured load first: Chromium's own first-page costs (fonts, caches) are not the graph's.
    const warmup = await browser.newPage({ viewport: VIEWPORT });
    await warmup.goto(origin);
    await warmup.evaluate((url) => (globalThis as unknown as BenchWindow).kilnBench.firstPaint(url), '/fb/0.json');
    await warmup.close();
    const paintRows: (string | number)[][] = [];
    const zoomRows: (string | number)[][] = [];
    for (const [g, graph] of graphs.entries()) {
      const runs = Number(process.env['BENCH_BROWSER_RUNS'] ?? (graph.nodes >= 1_000_000 ? 3 : 5));
      const paints: FirstPaint[] = [];
      const zoom: ZoomFrames = { drawMs: [], intervalMs: [] };
      for (let r = 0; r < runs; r++) {
        // A fresh page per run: the first paint is a first visit's, with cold code and heap.
        const page = await browser.newPage({ viewport: VIEWPORT });
        await page.goto(origin);
        paints.push(
          await page.evaluate(
            (url) => (globalThis as unknown as BenchWindow).kilnBench.firstPaint(url),
            `/fb/${g}.json`,
          ),
        );
        const frames = await page.evaluate(
          (paths) => (globalThis as unknown as BenchWindow).kilnBench.zoom(paths),
          graph.targets,
        );
        zoom.drawMs.push(...frames.drawMs);
        zoom.intervalMs.push(...frames.intervalMs);
        await page.close();
      }
      const label = `${count(graph.nodes)} nodes, ${graph.levels} levels`;
      paintRows.push([
        label,
        (graph.json.length / 1e6).toFixed(1),
        runs,
        medianOf(paints.map((p) => p.parseMs)),
        medianOf(paints.map((p) => p.firstDrawMs)),
        `**${medianOf(paints.map((p) => p.firstPaintMs))}**`,
        medianOf(paints.map((p) => p.parseMs + p.firstPaintMs)),
      ]);
      zoomRows.push([
        label,
        `${graph.targets.length * 2 * runs} (${count(zoom.drawMs.length)})`,
        spread(zoom.drawMs),
        `**${spread(zoom.intervalMs)}**`,
      ]);
    }
    return [
      table(
        [
          'synthetic flamebearer',
          'JSON MB',
          'page loads',
          'JSON.parse ms',
          'layout + draw of the first frame ms',
          'first paint ms (target ≤ 200 at 100k)',
          'first paint incl. JSON.parse ms',
        ],
        paintRows,
      ),
      table(
        [
          'synthetic flamebearer',
          'zooms (frames)',
          'layout + draw per frame ms p50 / p95 / max',
          'frame time ms p50 / p95 / max',
        ],
        zoomRows,
      ),
      await bundleSizes(),
    ].join('\n\n');
  } finally {
    server?.close();
    await browser.close();
    rmSync(pageDir, { recursive: true, force: true });
  }
}
