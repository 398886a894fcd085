// The UI end to end: the built app (packages/ui/dist) served by a real Kiln server seeded with
// real captures (seed.ts), driven in Debian's Chromium. Every number checked on screen is
// compared with what the API answers for the same query, never with a constant.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  buildCallTree,
  decodeFlamebearer,
  selectTopFunctions,
  sumValues,
  type CallTree,
  type Flamebearer,
} from '@kiln/model';
import { parseProfile, serializeFolded } from '@kiln/formats';
import { startTestServer, type TestServer } from '../../server/src/test-helpers/server.js';
import { testdata } from '../../server/src/test-helpers/testdata.js';
import { startKiln } from '../../cli/src/test-helpers/kiln-cli.js';
import { launchChromium } from './browser.js';
import { PODS, SEED_END_MS, SEED_HALF_MS, SEED_START_MS, startSeededServer } from './seed.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const QUERY = `${CPU}{service_name="go-demo"}`;
const RANGE = { from: String(SEED_START_MS), until: String(SEED_END_MS) };
const ROW = 18;

let server: TestServer;
let browser: Browser;
let context: BrowserContext;

before(async () => {
  [server, browser] = await Promise.all([startSeededServer(), launchChromium()]);
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

function urlOf(path: string, params: Record<string, string>): string {
  return `${server.url}${path}?${new URLSearchParams(params)}`;
}

async function api<T>(path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(urlOf(path, params));
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}

async function render(query: string, from: string, until: string): Promise<Flamebearer> {
  const body = await api<{ flamebearer: Flamebearer }>('/pyroscope/render', {
    query,
    from,
    until,
    'max-nodes': '8192',
  });
  return body.flamebearer;
}

/** Each level's nodes with absolute x: [x, total, self, name]. */
function absolute(fb: Flamebearer): [number, number, number, number][][] {
  return fb.levels.map((level) => {
    const out: [number, number, number, number][] = [];
    let end = 0;
    for (let i = 0; i < level.length; i += 4) {
      const x = end + level[i]!;
      out.push([x, level[i + 1]!, level[i + 2]!, level[i + 3]!]);
      end = x + level[i + 1]!;
    }
    return out;
  });
}

/** The widest node on a level. */
function widest(fb: Flamebearer, level: number): { x: number; total: number; self: number; name: string } {
  const nodes = absolute(fb)[level]!;
  const [x, total, self, name] = nodes.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { x, total, self, name: fb.names[name]! };
}

async function openPage(path: string, params: Record<string, string>): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(urlOf(path, params));
  return page;
}

/** Where a node of the API's flame graph is on the canvas, from its x and the view's scale. */
async function pointOf(
  page: Page,
  testId: string,
  node: { x: number; total: number },
  level: number,
  view: { start: number; width: number },
  at = 0.5,
): Promise<{ x: number; y: number }> {
  const canvas = page.getByTestId(testId).locator('canvas');
  await canvas.waitFor();
  const box = (await canvas.boundingBox())!;
  return {
    x: box.x + ((node.x + node.total * at - view.start) / view.width) * box.width,
    y: box.y + level * ROW + ROW / 2,
  };
}

async function hoverTooltip(page: Page, point: { x: number; y: number }): Promise<Record<string, string>> {
  await page.mouse.move(point.x, point.y);
  const tip = page.getByTestId('flame-tooltip').first();
  await tip.waitFor();
  return tip.evaluate((el) => ({ ...(el as HTMLElement).dataset, text: el.textContent ?? '' }));
}

/** Drags across a timeline from one fraction of its width to another, once its points are drawn. */
async function dragTimeline(page: Page, testId: string, from: number, to: number): Promise<void> {
  // The chart is drawn again once its series arrive: wait for points before dragging.
  await page.waitForFunction((id) => document.querySelector(`[data-testid=${id}] .timeline-empty`) === null, testId);
  const over = page.locator(`[data-testid=${testId}] .u-over`);
  await over.waitFor();
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * from, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
}

/** Waits until the first row of a top-functions table (under `scope`) is the API's top function. */
async function waitForTopRow(page: Page, fb: Flamebearer, scope = ''): Promise<void> {
  const top = selectTopFunctions(decodeFlamebearer(fb))[0]!;
  await page.waitForFunction(
    ([selector, name, self]) => {
      const row = document.querySelector(selector);
      return row?.getAttribute('data-name') === name && row?.getAttribute('data-self') === String(self);
    },
    [`${scope} [data-testid=top-table] tbody tr`.trim(), top.name, top.self] as const,
  );
}

function treeTotal(tree: CallTree): number {
  return tree.totalValue;
}

describe('single view', () => {
  test('table rows and tooltips equal the API; search reports its share', async () => {
    const fb = await render(QUERY, RANGE.from, RANGE.until);
    const top = selectTopFunctions(decodeFlamebearer(fb));
    const page = await openPage('/', { query: QUERY, ...RANGE });
    const firstRow = page.locator('[data-testid=top-table] tbody tr').first();
    await firstRow.waitFor();
    assert.equal(await firstRow.getAttribute('data-name'), top[0]!.name);
    assert.equal(Number(await firstRow.getAttribute('data-self')), top[0]!.self);
    assert.equal(Number(await firstRow.getAttribute('data-total')), top[0]!.total);
    assert.equal(await page.locator('[data-testid=top-table] tbody tr').count(), Math.min(300, top.length));

    // Sort by total: the first row is the largest total (the root's child chain).
    await page.getByTestId('sort-total').click();
    const byTotal = [...top].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
    assert.equal(await firstRow.getAttribute('data-name'), byTotal[0]!.name);

    // Tooltip of the widest node three levels down, found where the API's x puts it.
    const node = widest(fb, 3);
    const tip = await hoverTooltip(page, await pointOf(page, 'flame-graph', node, 3, { start: 0, width: fb.numTicks }));
    assert.equal(tip.name, node.name);
    assert.equal(Number(tip.total), node.total);
    assert.equal(Number(tip.self), node.self);
    assert.match(tip.text!, new RegExp(`${((node.total / fb.numTicks) * 100).toFixed(2)} %`));

    // Search: the share counts each matching subtree once.
    await page.getByTestId('search').fill('sha256');
    const tree = decodeFlamebearer(fb);
    let matched = 0;
    const walk = (n: number): void => {
      if (n !== 0 && tree.names[tree.nameId[n]!]!.toLowerCase().includes('sha256')) {
        matched += tree.total[n]!;
        return;
      }
      for (const c of tree.children(n)) walk(c);
    };
    walk(0);
    const share = page.getByTestId('search-share');
    await share.waitFor();
    assert.equal(Number(await share.getAttribute('data-matched')), matched);
    assert.match((await share.textContent())!, new RegExp(`${((matched / fb.numTicks) * 100).toFixed(2)} %`));
    // The table shows only matching functions, and the URL keeps the search.
    for (const name of await page
      .locator('[data-testid=top-table] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name') ?? ''))) {
      assert.match(name.toLowerCase(), /sha256/);
    }
    assert.equal(new URL(page.url()).searchParams.get('search'), 'sha256');
    await page.close();
  });

  test('click focuses a node (breadcrumb back), keyboard navigation focuses the heaviest child', async () => {
    const fb = await render(QUERY, RANGE.from, RANGE.until);
    const page = await openPage('/', { query: QUERY, ...RANGE, view: 'flamegraph' });
    const node = widest(fb, 2);
    await page.mouse.click(...xy(await pointOf(page, 'flame-graph', node, 2, { start: 0, width: fb.numTicks })));
    await page.waitForURL((u) => u.searchParams.get('focus') !== null);
    const focus = new URL(page.url()).searchParams.get('focus')!.split(';');
    assert.equal(focus.at(-1), node.name);
    assert.equal(focus.length, 2);
    const crumbs = page.getByTestId('flame-breadcrumb').locator('button');
    assert.deepEqual(await crumbs.allTextContents(), ['total', ...focus]);
    // The focused node now spans the width: its right end shows its own tooltip.
    await page.waitForTimeout(300); // the zoom animation (150 ms)
    const tip = await hoverTooltip(
      page,
      await pointOf(page, 'flame-graph', { x: 0, total: 1 }, 2, { start: 0, width: 1 }, 0.98),
    );
    assert.equal(tip.name, node.name);
    assert.equal(Number(tip.total), node.total);
    await crumbs.first().click();
    await page.waitForURL((u) => u.searchParams.get('focus') === null);

    // Keyboard, on a fresh page: Down selects the root's heaviest child, Enter focuses it,
    // Escape resets.
    await page.goto(urlOf('/', { query: QUERY, ...RANGE, view: 'flamegraph' }));
    const canvas = page.getByTestId('flame-graph').locator('canvas');
    await canvas.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('focus') !== null);
    assert.equal(new URL(page.url()).searchParams.get('focus'), widest(fb, 1).name);
    await page.keyboard.press('Escape');
    await page.waitForURL((u) => u.searchParams.get('focus') === null);
    await page.close();
  });

  test('sandwich view: callers and callees of a function, totals as in the table', async () => {
    const fb = await render(QUERY, RANGE.from, RANGE.until);
    const fn = selectTopFunctions(decodeFlamebearer(fb)).find((f) => f.name === 'runtime.mallocgc')!;
    const page = await openPage('/', { query: QUERY, ...RANGE });
    const row = page.locator(`[data-testid=top-table] tr[data-name="${fn.name}"]`);
    await row.hover();
    await row.getByRole('button', { name: `Sandwich view of ${fn.name}` }).click();
    await page.waitForURL((u) => u.searchParams.get('view') === 'sandwich' && u.searchParams.get('fn') === fn.name);
    await page.getByTestId('sandwich').waitFor();
    // Each half's root is the function, with the function's total.
    for (const half of ['sandwich-callees', 'sandwich-callers']) {
      const canvas = page.getByTestId(half).locator('canvas');
      // Callers are drawn inverted: their root row is the bottom one. Scroll it into the window.
      const rootY = async (): Promise<{ x: number; y: number }> => {
        const box = (await canvas.boundingBox())!;
        return {
          x: box.x + box.width / 2,
          y: half === 'sandwich-callers' ? box.y + box.height - ROW / 2 : box.y + ROW / 2,
        };
      };
      const { y: before } = await rootY();
      await page.evaluate((dy) => window.scrollBy(0, dy), before - 400);
      const tip = await hoverTooltip(page, await rootY());
      assert.equal(Number(tip.total), fn.total, half);
    }
    await page.close();
  });

  test('dragging on the timeline zooms the range; the flame graph follows', async () => {
    const page = await openPage('/', { query: QUERY, ...RANGE });
    await page.getByTestId('top-table').waitFor();
    await dragTimeline(page, 'timeline', 0.6, 0.8);
    await page.waitForURL((u) => u.searchParams.get('from') !== RANGE.from);
    const params = new URL(page.url()).searchParams;
    const from = Number(params.get('from'));
    const until = Number(params.get('until'));
    assert.ok(from > SEED_START_MS && until < SEED_END_MS && until > from, `${from}..${until}`);
    await waitForTopRow(page, await render(QUERY, String(from), String(until)));
    // Back restores the earlier range (range changes are history entries).
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get('from') === RANGE.from);
    await page.close();
  });

  test('time range picker: presets write relative ranges, absolute times write Unix ms', async () => {
    const page = await openPage('/', { query: QUERY, ...RANGE });
    await page.getByTestId('top-table').waitFor();
    const picker = page.getByTestId('time-picker');
    await picker.getByRole('button').first().click();
    await picker.getByRole('button', { name: 'Last 6 hours' }).click();
    await page.waitForURL((u) => u.searchParams.get('from') === 'now-6h' && u.searchParams.get('until') === 'now');
    await picker.getByRole('button').first().click();
    const local = (ms: number): string => {
      const d = new Date(ms);
      const p2 = (n: number): string => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
    };
    await page.getByTestId('abs-from').fill(local(SEED_START_MS + 60_000));
    await page.getByTestId('abs-until').fill(local(SEED_START_MS + 180_000));
    await page.getByTestId('abs-apply').click();
    await page.waitForURL((u) => u.searchParams.get('from') === String(SEED_START_MS + 60_000));
    assert.equal(new URL(page.url()).searchParams.get('until'), String(SEED_START_MS + 180_000));
    const fb = await render(QUERY, String(SEED_START_MS + 60_000), String(SEED_START_MS + 180_000));
    await waitForTopRow(page, fb);
    await page.close();
  });

  test('the URL restores a view: mode, search, focus and sandwich function', async () => {
    const fb = await render(QUERY, RANGE.from, RANGE.until);
    const focus = [widest(fb, 1).name, widest(fb, 2).name];
    const page = await openPage('/', { query: QUERY, ...RANGE, view: 'table', search: 'regexp' });
    await page.getByTestId('top-table').waitFor();
    assert.equal(await page.getByTestId('mode-table').getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByTestId('search').inputValue(), 'regexp');
    assert.equal(await page.getByTestId('flame-graph').count(), 0);
    await page.goto(urlOf('/', { query: QUERY, ...RANGE, focus: focus.join(';') }));
    await page.getByTestId('flame-breadcrumb').waitFor();
    assert.deepEqual(await page.getByTestId('flame-breadcrumb').locator('button').allTextContents(), [
      'total',
      ...focus,
    ]);
    await page.goto(urlOf('/', { query: QUERY, ...RANGE, view: 'sandwich', fn: 'runtime.mallocgc' }));
    await page.getByTestId('sandwich').waitFor();
    assert.match((await page.getByTestId('sandwich').locator('h3').textContent())!, /runtime\.mallocgc/);
    // The selectors show the URL's service and profile type.
    assert.equal(await page.getByTestId('service-select').inputValue(), 'go-demo');
    assert.equal(await page.getByTestId('profile-type-select').inputValue(), CPU);
    await page.close();
  });

  test('label filter: autocomplete offers the labels and values; a filter narrows the query', async () => {
    const page = await openPage('/', { query: QUERY, ...RANGE });
    await page.getByTestId('top-table').waitFor();
    const names = await page
      .locator('#kiln-label-names option')
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.deepEqual(names.filter((n) => ['namespace', 'pod', 'version'].includes(n)).sort(), [
      'namespace',
      'pod',
      'version',
    ]);
    await page.getByTestId('filter-name').fill('pod');
    await page.waitForFunction(() => document.querySelectorAll('#kiln-label-values option').length === 3);
    const values = await page
      .locator('#kiln-label-values option')
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.deepEqual(values.sort(), Object.keys(PODS).sort());
    await page.getByTestId('filter-value').fill('pod-c');
    await page.getByTestId('filter-add').click();
    await page.waitForURL((u) => (u.searchParams.get('query') ?? '').includes('pod="pod-c"'));
    const fb = await render(`${CPU}{service_name="go-demo",pod="pod-c"}`, RANGE.from, RANGE.until);
    await waitForTopRow(page, fb);
    assert.equal(await page.getByTestId('filter-chip').count(), 1);
    await page.close();
  });

  test('profile type selector lists the service types; memory values are shown in bytes', async () => {
    const page = await openPage('/', { query: QUERY, ...RANGE });
    await page.getByTestId('top-table').waitFor();
    const options = await page
      .getByTestId('profile-type-select')
      .locator('option')
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.ok(options.includes('memory:inuse_space:bytes:space:bytes'), options.join());
    await page.getByTestId('profile-type-select').selectOption('memory:inuse_space:bytes:space:bytes');
    await page.waitForURL((u) => (u.searchParams.get('query') ?? '').startsWith('memory:inuse_space'));
    const cell = page.locator('[data-testid=top-table] tbody tr').first().locator('td').nth(1);
    await page.waitForFunction(() =>
      /[KMG]?B\b/.test(document.querySelector('[data-testid=top-table] tbody tr td:nth-child(2)')?.textContent ?? ''),
    );
    assert.match((await cell.textContent())!, /\d (B|KB|MB|GB) /);
    await page.close();
  });
});

describe('comparison and diff', () => {
  const sides = {
    leftFrom: String(SEED_START_MS),
    leftUntil: String(SEED_HALF_MS),
    rightFrom: String(SEED_HALF_MS),
    rightUntil: String(SEED_END_MS),
  };

  test('comparison: two flame graphs on one scale, totals equal the API', async () => {
    const [left, right] = await Promise.all([
      render(QUERY, sides.leftFrom, sides.leftUntil),
      render(QUERY, sides.rightFrom, sides.rightUntil),
    ]);
    assert.ok(right.numTicks > left.numTicks, 'the seed grows in its second half');
    const page = await openPage('/comparison', { query: QUERY, ...RANGE, ...sides });
    await page.getByTestId('flame-graph-left').waitFor();
    assert.equal(Number(await page.getByTestId('compare-left-total').getAttribute('data-total')), left.numTicks);
    assert.equal(Number(await page.getByTestId('compare-right-total').getAttribute('data-total')), right.numTicks);
    // Same scale: the comparison's root spans its canvas, the baseline's stops at its share.
    const scale = { start: 0, width: right.numTicks };
    const leftRootEnd = await pointOf(page, 'flame-graph-left', { x: 0, total: left.numTicks }, 0, scale, 0.97);
    assert.equal(Number((await hoverTooltip(page, leftRootEnd)).total), left.numTicks);
    const beyond = await pointOf(page, 'flame-graph-left', { x: 0, total: right.numTicks }, 0, scale, 0.99);
    await page.mouse.move(beyond.x, beyond.y);
    await page.waitForTimeout(100);
    assert.equal(await page.getByTestId('flame-graph-left').getByTestId('flame-tooltip').count(), 0);
    const rightRootEnd = await pointOf(page, 'flame-graph-right', { x: 0, total: right.numTicks }, 0, scale, 0.99);
    assert.equal(Number((await hoverTooltip(page, rightRootEnd)).total), right.numTicks);
    // A drag on the comparison's timeline selects its range; the baseline's stays.
    await dragTimeline(page, 'timeline-right', 0.7, 0.9);
    await page.waitForURL((u) => u.searchParams.get('rightFrom') !== sides.rightFrom);
    const params = new URL(page.url()).searchParams;
    assert.equal(params.get('leftFrom'), sides.leftFrom);
    const rightFrom = params.get('rightFrom')!;
    const rightUntil = params.get('rightUntil')!;
    const narrowed = await render(QUERY, rightFrom, rightUntil);
    await page.waitForFunction(
      (total) =>
        document.querySelector('[data-testid=compare-right-total]')?.getAttribute('data-total') === String(total),
      narrowed.numTicks,
    );
    await page.close();
  });

  test('diff: colours by change, legend, table of the largest changes, totals equal the API', async () => {
    const body = await api<{ flamebearer: Flamebearer; leftTicks: number; rightTicks: number }>(
      '/pyroscope/render-diff',
      {
        leftQuery: QUERY,
        rightQuery: QUERY,
        leftFrom: sides.leftFrom,
        leftUntil: sides.leftUntil,
        rightFrom: sides.rightFrom,
        rightUntil: sides.rightUntil,
        'max-nodes': '8192',
      },
    );
    const page = await openPage('/comparison-diff', { query: QUERY, ...RANGE, ...sides });
    await page.getByTestId('flame-graph-diff').waitFor();
    const totals = page.getByTestId('diff-totals');
    assert.equal(Number(await totals.getAttribute('data-left')), body.leftTicks);
    assert.equal(Number(await totals.getAttribute('data-right')), body.rightTicks);
    await page.getByTestId('flame-diff-legend').waitFor();
    // The second half adds a sha256-heavy program: its share grew the most.
    const first = page.locator('[data-testid=diff-table] tbody tr').first();
    assert.equal(await first.getAttribute('data-name'), 'crypto/sha256.block');
    assert.match((await first.locator('td').nth(3).textContent())!, /^\+/);
    // The root's tooltip carries both sides' totals.
    const canvas = page.getByTestId('flame-graph-diff').locator('canvas');
    const box = (await canvas.boundingBox())!;
    const tip = await hoverTooltip(page, { x: box.x + box.width / 2, y: box.y + ROW / 2 });
    assert.equal(Number(tip.leftTotal), body.leftTicks);
    assert.equal(Number(tip.rightTotal), body.rightTicks);
    // Diff colours: a grown node is drawn red, a shrunk one green.
    const fb = { ...body.flamebearer } as Flamebearer;
    const level1 = fb.levels[1]!;
    const pixels = await canvas.evaluate((c: HTMLCanvasElement, rowY: number) => {
      const ctx = c.getContext('2d')!;
      const ratio = c.width / c.getBoundingClientRect().width;
      const row = Math.round(rowY * ratio);
      const out: number[][] = [];
      for (let x = 0; x < c.width; x += Math.max(1, Math.floor(c.width / 50))) {
        out.push([...ctx.getImageData(x, row, 1, 1).data]);
      }
      return out;
    }, ROW * 1.5);
    assert.ok(level1.length >= 14, 'level 1 has main.burn and main.worker');
    assert.ok(
      pixels.some(([r, g]) => r! > g! + 60),
      'some red',
    );
    assert.ok(
      pixels.some(([r, g]) => g! > r! + 60),
      'some green',
    );
    await page.close();
  });
});

describe('tag explorer', () => {
  test('one series per value, shares equal the API; clicking a value filters the flame graph', async () => {
    const page = await openPage('/explore', { query: QUERY, ...RANGE, groupBy: 'pod' });
    const rows = page.locator('[data-testid=explore-table] tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=explore-table] tbody tr').length === 3);
    const shown = await rows.evaluateAll((rs) =>
      rs.map((r) => [r.getAttribute('data-value')!, Number(r.getAttribute('data-total'))] as const),
    );
    // Largest first; each value's total equals the render of that value alone.
    for (const [pod, total] of shown) {
      const fb = await render(`${CPU}{service_name="go-demo",pod="${pod}"}`, RANGE.from, RANGE.until);
      assert.equal(total, fb.numTicks, pod);
    }
    assert.deepEqual(
      shown.map(([pod]) => pod),
      ['pod-a', 'pod-b', 'pod-c'],
    );
    assert.equal(await page.locator('[data-testid=explore-timeline] .u-legend .u-series').count(), 4);
    await rows.filter({ hasText: 'pod-b' }).click();
    await page.waitForURL((u) => u.searchParams.get('groupByValue') === 'pod-b');
    const flame = page.getByTestId('explore-flame');
    await page.waitForFunction(() =>
      (document.querySelector('[data-testid=explore-flame]')?.getAttribute('data-query') ?? '').includes('pod="pod-b"'),
    );
    const fb = await render(`${CPU}{service_name="go-demo",pod="pod-b"}`, RANGE.from, RANGE.until);
    await waitForTopRow(page, fb, '[data-testid=explore-flame]');
    assert.equal(await flame.locator('h3 code').textContent(), 'pod="pod-b"');
    await page.close();
  });
});

describe('exports', () => {
  test('every export downloads a file that Kiln parses back to the same totals', async () => {
    const fb = await render(QUERY, RANGE.from, RANGE.until);
    const page = await openPage('/', { query: QUERY, ...RANGE });
    await page.getByTestId('flame-graph').locator('canvas').waitFor();
    const download = async (format: string): Promise<{ name: string; bytes: Buffer }> => {
      await page.getByTestId('export-button').click();
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
      return { name: dl.suggestedFilename(), bytes: readFileSync((await dl.path())!) };
    };
    for (const format of ['pprof', 'folded', 'speedscope', 'flamebearer']) {
      const file = await download(format);
      const parsed = parseProfile(file.bytes, { filename: file.name });
      const t = parsed.profile.sampleTypes.length - 1;
      assert.equal(sumValues(parsed.profile, t), fb.numTicks, `${format} total`);
      const top = selectTopFunctions(buildCallTree(parsed.profile, { sampleType: t }));
      const expected = selectTopFunctions(decodeFlamebearer(fb));
      assert.deepEqual(top.slice(0, 10), expected.slice(0, 10), `${format} top functions`);
    }
    const png = await download('png');
    assert.deepEqual([...png.bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
    assert.equal(png.bytes.readUInt32BE(16), 1600);
    assert.equal(png.bytes.readUInt32BE(20), fb.levels.length * ROW);

    const html = await download('html');
    assert.match(html.name, /\.html$/);
    const embedded = /<script type="application\/json" id="kiln-data">([\s\S]*?)<\/script>/.exec(
      html.bytes.toString('utf8'),
    );
    assert.ok(embedded, 'the page embeds its data');
    // Offline: the page loads from a file with every request refused, and draws the graph.
    const offline = await browser.newContext({ offline: true, viewport: { width: 1200, height: 800 } });
    const htmlPage = await offline.newPage();
    await htmlPage.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
    await htmlPage.setContent(html.bytes.toString('utf8'));
    const canvas = htmlPage.locator('canvas').first();
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    const tip = await hoverTooltip(htmlPage, { x: box.x + box.width / 2, y: box.y + ROW / 2 });
    assert.equal(Number(tip.total), fb.numTicks);
    await offline.close();
    await page.close();
  });
});

/** Folded stacks of a real capture (Go heap), written as `kiln convert --to folded` writes them. */
function foldedFixture(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kiln-ui-')), 'go-heap.folded.txt');
  const profile = parseProfile(readFileSync(testdata('go', 'heap.pb.gz'))).profile;
  writeFileSync(path, serializeFolded(profile));
  return path;
}

describe('ad-hoc files', () => {
  const files = [
    ['pprof', testdata('go', 'cpu.pb.gz')],
    ['perf script', testdata('perf', 'c', 'burn.perf-script.txt')],
    ['folded', foldedFixture()],
    ['speedscope', testdata('speedscope', 'sampled.speedscope.json')],
  ] as const;

  test('a dropped or picked file is parsed in the browser and shown, nothing stored', async () => {
    const page = await openPage('/adhoc', {});
    let posts = 0;
    page.on('request', (r) => {
      if (r.method() !== 'GET') posts++;
    });
    for (const [what, path] of files) {
      const parsed = parseProfile(readFileSync(path), { filename: path });
      const tree = buildCallTree(parsed.profile, { sampleType: parsed.profile.defaultSampleType });
      await page.getByTestId('file-input').setInputFiles(path);
      await page.waitForFunction(
        (name) => (document.querySelector('[data-testid=adhoc-info]')?.textContent ?? '').includes(name),
        path.split('/').at(-1)!,
      );
      const first = page.locator('[data-testid=top-table] tbody tr').first();
      const top = selectTopFunctions(tree)[0]!;
      assert.equal(await first.getAttribute('data-name'), top.name, what);
      assert.equal(Number(await first.getAttribute('data-self')), top.self, what);
      const canvas = page.getByTestId('flame-graph').locator('canvas');
      const box = (await canvas.boundingBox())!;
      const tip = await hoverTooltip(page, { x: box.x + 5, y: box.y + ROW / 2 });
      assert.equal(Number(tip.total), treeTotal(tree), what);
    }
    // A drop works like the picker.
    const bytes = readFileSync(files[0][1]).toString('base64');
    const dt = await page.evaluateHandle((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const t = new DataTransfer();
      t.items.add(new File([data], 'dropped.pb.gz'));
      return t;
    }, bytes);
    await page.getByTestId('adhoc-view').dispatchEvent('drop', { dataTransfer: dt });
    await page.waitForFunction(() =>
      (document.querySelector('[data-testid=adhoc-info]')?.textContent ?? '').includes('dropped.pb.gz'),
    );
    // A file that is no profile gets the parser's named error.
    await page.getByTestId('file-input').setInputFiles({
      name: 'notes.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from([0, 1, 2, 3, 255, 254]),
    });
    await page.getByTestId('error').waitFor();
    assert.match((await page.getByTestId('error').textContent())!, /ERR_FORMAT_UNKNOWN/);
    assert.equal(posts, 0, 'nothing was sent to the server');
    await page.close();
  });
});

describe('states, themes and narrow windows', () => {
  test('a bad query shows the named error; a service without data shows the empty state', async () => {
    const page = await openPage('/', { query: `${CPU}{service_name="go-demo",pod=~"("}`, ...RANGE });
    await page.getByTestId('error').first().waitFor();
    assert.match((await page.getByTestId('error').first().textContent())!, /ERR_QUERY_INVALID_SELECTOR/);
    await page.goto(
      urlOf('/', { query: `${CPU}{service_name="go-demo"}`, from: '1000000000000', until: '1000000600000' }),
    );
    await page.getByTestId('empty').waitFor();
    await page.close();
  });

  test('a server with no data explains how to send some', async () => {
    const empty = await startTestServer({ uiDir: new URL('../dist', import.meta.url).pathname });
    const page = await context.newPage();
    await page.goto(`${empty.url}/`);
    await page.getByTestId('no-data').waitFor();
    await page.close();
    await empty.stop();
  });

  test("a fresh server's UI shows its own CPU flame graph within seconds (what `npm start` promises)", async () => {
    // A real `kiln server` process, as `npm start` runs it: self-profiling starts the native
    // profiler, which belongs in a server process, not in this test process beside Chromium's
    // driver (here it once blocked the whole test file).
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'kiln-ui-fresh-'));
    const fresh = startKiln(['server'], {
      env: {
        KILN_LISTEN: `127.0.0.1:${port}`,
        KILN_DATA_DIR: dataDir,
        KILN_UI_DIR: new URL('../dist', import.meta.url).pathname,
        KILN_LOG_LEVEL: 'info',
        // A connection Chromium keeps busy may hold the HTTP close this long, no longer.
        KILN_GRACEFUL_SHUTDOWN_TIMEOUT_MS: '3000',
      },
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      for (
        let i = 0;
        i < 100 &&
        !(await fetch(`${url}/ready`).then(
          (r) => r.ok,
          () => false,
        ));
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const page = await context.newPage();
      await page.goto(`${url}/`);
      // No data yet: the page says so; it picks kiln-server and its CPU type once data arrives.
      const deadline = Date.now() + 25_000;
      while ((await page.getByTestId('flame-graph').count()) === 0 && Date.now() < deadline) {
        await page.waitForTimeout(2000);
        await page.goto(`${url}/`);
        await page.waitForLoadState('networkidle');
      }
      await page.getByTestId('flame-graph').locator('canvas').waitFor({ timeout: 5000 });
      assert.equal(await page.getByTestId('service-select').inputValue(), 'kiln-server');
      assert.match(await page.getByTestId('profile-type-select').inputValue(), /^process_cpu:cpu:/);
      // Stopped while the page is still open: the browser's keep-alive connection must not hold
      // the server's close (the test server's close once waited on Chromium's).
      fresh.child.kill('SIGTERM');
      const stopped = await Promise.race([fresh.done, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      assert.ok(
        stopped !== null,
        `kiln server did not exit within 10 s of SIGTERM with a browser connected; its log:\n${fresh.stdout()}`,
      );
      assert.equal(stopped.code, 0, stopped.stderr);
      await page.close();
    } finally {
      if (fresh.child.exitCode === null && fresh.child.signalCode === null) fresh.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('dark theme toggles and persists; a narrow window needs no horizontal scrolling', async () => {
    const page = await openPage('/', { query: QUERY, ...RANGE });
    await page.getByTestId('top-table').waitFor();
    const theme = (): Promise<string | undefined> => page.evaluate(() => document.documentElement.dataset.theme);
    const before = await theme();
    await page.getByTestId('theme-toggle').click();
    const toggled = await theme();
    assert.notEqual(toggled, before);
    await page.reload();
    await page.getByTestId('top-table').waitFor();
    assert.equal(await theme(), toggled);
    await page.setViewportSize({ width: 480, height: 900 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow} px wider than a 480 px window`);
    await page.close();
  });
});

function xy(p: { x: number; y: number }): [number, number] {
  return [p.x, p.y];
}

/** A TCP port free right now on 127.0.0.1 (for a server started in another process). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
