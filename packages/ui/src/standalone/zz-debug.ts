import { launchChromium } from '../../e2e/browser.js';
import { SEED_END_MS, SEED_START_MS, startSeededServer } from '../../e2e/seed.js';
const server = await startSeededServer();
const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
const page = await context.newPage();
page.on('console', (m) => console.log('console', m.text()));
const q = new URLSearchParams({ query: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="go-demo"}', from: String(SEED_START_MS), until: String(SEED_END_MS), view: 'sandwich', fn: 'runtime.mallocgc' });
await page.goto(`${server.url}/?${q}`);
await page.getByTestId('sandwich').waitFor();
await page.waitForTimeout(500);
for (const half of ['sandwich-callees', 'sandwich-callers']) {
  const canvas = page.getByTestId(half).locator('canvas');
  const box = (await canvas.boundingBox())!;
  console.log(half, box, await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height, c.style.width, c.style.height]));
  const y = half === 'sandwich-callers' ? box.y + box.height - 9 : box.y + 9;
  await page.evaluate((dy) => window.scrollBy(0, dy), y - 400);
  const box2 = (await canvas.boundingBox())!;
  const y2 = half === 'sandwich-callers' ? box2.y + box2.height - 9 : box2.y + 9;
  await page.mouse.move(box2.x + box2.width / 2, y2);
  await page.waitForTimeout(200);
  console.log(half, 'tooltips', await page.getByTestId('flame-tooltip').count(), await page.evaluate(([x, y]) => { const el = document.elementFromPoint(x, y); return el?.tagName + ' ' + el?.className; }, [box2.x + box2.width / 2, y2]));
}
await page.screenshot({ path: '/tmp/shots/sandwich.png', fullPage: true });
await browser.close(); await server.stop();
