// Writes docs/screenshots/<view>-<theme>.png: every view of the UI, light and dark, on the seed
// data set (seed.ts), in Debian's Chromium. `npm run screenshots` (builds the UI first).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { testdata } from '../../server/src/test-helpers/testdata.js';
import { launchChromium } from './browser.js';
import { SEED_END_MS, SEED_HALF_MS, SEED_START_MS, startSeededServer } from './seed.js';

const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const QUERY = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="go-demo"}';
const RANGE = { query: QUERY, from: String(SEED_START_MS), until: String(SEED_END_MS) };
const SIDES = {
  leftFrom: String(SEED_START_MS),
  leftUntil: String(SEED_HALF_MS),
  rightFrom: String(SEED_HALF_MS),
  rightUntil: String(SEED_END_MS),
};

interface Shot {
  name: string;
  path: string;
  params: Record<string, string>;
  ready: string;
  prepare?: (page: Page) => Promise<void>;
}

const SHOTS: Shot[] = [
  { name: 'single', path: '/', params: RANGE, ready: '[data-testid=flame-graph] canvas' },
  {
    name: 'single-search',
    path: '/',
    params: { ...RANGE, search: 'regexp', view: 'flamegraph' },
    ready: '[data-testid=search-share]',
  },
  {
    name: 'sandwich',
    path: '/',
    params: { ...RANGE, view: 'sandwich', fn: 'runtime.mallocgc' },
    ready: '[data-testid=sandwich-callees] canvas',
  },
  {
    name: 'comparison',
    path: '/comparison',
    params: { ...RANGE, ...SIDES },
    ready: '[data-testid=flame-graph-right] canvas',
  },
  {
    name: 'diff',
    path: '/comparison-diff',
    params: { ...RANGE, ...SIDES },
    ready: '[data-testid=flame-graph-diff] canvas',
  },
  {
    name: 'tag-explorer',
    path: '/explore',
    params: { ...RANGE, groupBy: 'pod', groupByValue: 'pod-b' },
    ready: '[data-testid=explore-flame] canvas',
  },
  {
    name: 'adhoc',
    path: '/adhoc',
    params: {},
    ready: '[data-testid=flame-graph] canvas',
    prepare: (page) => page.getByTestId('file-input').setInputFiles(testdata('perf', 'c', 'burn.perf-script.txt')),
  },
];

mkdirSync(OUT, { recursive: true });
const [server, browser] = await Promise.all([startSeededServer(), launchChromium()]);
try {
  for (const theme of ['light', 'dark']) {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      colorScheme: theme as 'light' | 'dark',
    });
    for (const shot of SHOTS) {
      const page = await context.newPage();
      await page.goto(`${server.url}${shot.path}?${new URLSearchParams({ ...shot.params, theme })}`);
      await shot.prepare?.(page);
      await page.locator(shot.ready).first().waitFor();
      await page.waitForTimeout(400);
      const file = `${OUT}${shot.name}-${theme}.png`;
      await page.screenshot({ path: file });
      console.log(`wrote ${file}`);
      await page.close();
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
