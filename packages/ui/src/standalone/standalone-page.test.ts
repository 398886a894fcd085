import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildStandaloneHtml, parsePprof } from '@kiln/formats';
import { buildCallTree, encodeFlamebearer, type Flamebearer } from '@kiln/model';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { formatValue } from '../app/units.js';
import { hasChromium, launchChromium } from '../../e2e/browser.js';
import { decodeFlameData, findByPath, heaviestChild, nodeName } from '../flame-graph/flame-data.js';
import { ROW_HEIGHT_PX } from '../flame-graph/types.js';

const uiDir = fileURLToPath(new URL('../../', import.meta.url));
const scriptPath = join(uiDir, 'dist/standalone/kiln-standalone.js');

// testdata/go/cpu.pb.gz: a Go 1.19 CPU profile of a load generator (testdata/go/README.md).
function goCpuFlamebearer(): Flamebearer {
  const profile = parsePprof(readFileSync(new URL('../../../../testdata/go/cpu.pb.gz', import.meta.url)));
  assert.ok(profile !== null);
  return encodeFlamebearer(buildCallTree(profile, { sampleType: 1 }));
}

let browser: Browser | undefined;
let dir: string;

before(async () => {
  // npm test builds the UI first; a test run on its own builds the standalone script here.
  if (!existsSync(scriptPath)) await build({ configFile: join(uiDir, 'vite.standalone.config.ts'), logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'kiln-standalone-'));
  if (hasChromium()) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test(
  'the standalone HTML draws a real profile from file:// with the network off',
  { skip: !hasChromium() },
  async () => {
    const fb = goCpuFlamebearer();
    const html = buildStandaloneHtml(readFileSync(scriptPath, 'utf8'), {
      flamebearer: fb,
      metadata: {
        name: 'loadgen',
        unit: 'nanoseconds',
        profileType: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
        from: Date.UTC(2026, 10, 25, 7, 3),
        until: Date.UTC(2026, 10, 25, 7, 4),
      },
    });
    const file = join(dir, 'loadgen.html');
    writeFileSync(file, html);

    const context = await browser!.newContext({ offline: true, viewport: { width: 1_280, height: 900 } });
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    const canvas = page.locator('[data-testid="flame-graph"] canvas');
    await canvas.waitFor();
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((url) => !url.startsWith('file:')),
      [],
    );

    // Painted: the root row is a coloured bar, not the background.
    const rootPixel = await canvas.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(c.width / 2, 4, 1, 1).data;
      return [d[0], d[1], d[2]];
    });
    assert.notDeepEqual(rootPixel, [255, 255, 255]);

    // Hover the widest child of the root, placed from the flamebearer alone.
    const box = (await canvas.boundingBox())!;
    const level1 = fb.levels[1]!;
    let best = 0;
    let x = 0;
    let bestX = 0;
    for (let i = 0; i < level1.length; i += 4) {
      x += level1[i]!;
      if (level1[i + 1]! > level1[best + 1]!) [best, bestX] = [i, x];
      x += level1[i + 1]!;
    }
    const total = level1[best + 1]!;
    const name = fb.names[level1[best + 3]!]!;
    const centre = ((bestX + total / 2) / fb.numTicks) * box.width;
    await page.mouse.move(box.x + centre, box.y + ROW_HEIGHT_PX * 1.5);
    const tooltip = page.getByTestId('flame-tooltip');
    await tooltip.waitFor();
    assert.equal(await tooltip.getAttribute('data-name'), name);
    assert.equal(Number(await tooltip.getAttribute('data-total')), total);
    assert.ok((await tooltip.textContent())!.includes(formatValue(total, 'nanoseconds')));

    // Click focuses it: the breadcrumb names it, and search reports its share.
    await page.mouse.click(box.x + centre, box.y + ROW_HEIGHT_PX * 1.5);
    const crumbs = page.getByTestId('flame-breadcrumb').getByRole('button');
    await crumbs.filter({ hasText: name }).waitFor();
    await page.getByTestId('flame-search').fill('runtime.');
    assert.match(
      (await page.getByTestId('flame-search-share').textContent())!,
      /search matches \d+\.\d\d % of the graph/,
    );

    // Keyboard: down selects the heaviest child (the tooltip follows), Enter focuses it, Escape resets.
    const data = decodeFlameData(fb, false);
    const child = heaviestChild(data, findByPath(data, [name])!)!;
    await canvas.focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await tooltip.getAttribute('data-name'), nodeName(data, child));
    await page.keyboard.press('Enter');
    await crumbs.filter({ hasText: nodeName(data, child) }).waitFor();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="flame-breadcrumb"] button').length === 1);

    // The context menu focuses too.
    await page.mouse.click(box.x + centre, box.y + ROW_HEIGHT_PX * 1.5, { button: 'right' });
    const menu = page.getByTestId('flame-menu');
    assert.deepEqual(await menu.getByRole('menuitem').allTextContents(), [
      'Focus',
      'Sandwich view',
      'Copy function name',
    ]);
    await menu.getByRole('menuitem', { name: 'Focus' }).click();
    await crumbs.filter({ hasText: name }).waitFor();
    assert.equal(await menu.count(), 0);
    await context.close();
  },
);
