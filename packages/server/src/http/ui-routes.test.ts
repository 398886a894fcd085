import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../test-helpers/server.js';
import { UI_PAGES } from './ui-routes.js';

describe('web UI routes', () => {
  let built: TestServer;
  let missing: TestServer;
  let uiDir: string;

  before(async () => {
    // A UI build's shape: app/index.html, app/assets/<hashed>, standalone/kiln-standalone.js.
    uiDir = mkdtempSync(join(tmpdir(), 'kiln-ui-dist-'));
    mkdirSync(join(uiDir, 'app', 'assets'), { recursive: true });
    mkdirSync(join(uiDir, 'standalone'));
    writeFileSync(join(uiDir, 'app', 'index.html'), '<!doctype html><title>Kiln</title>');
    writeFileSync(join(uiDir, 'app', 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(uiDir, 'standalone', 'kiln-standalone.js'), 'console.log(2)');
    [built, missing] = await Promise.all([
      startTestServer({ uiDir }),
      startTestServer({ uiDir: join(uiDir, 'not-there') }),
    ]);
  });

  after(async () => {
    await Promise.all([built.stop(), missing.stop()]);
    rmSync(uiDir, { recursive: true, force: true });
  });

  test('every page is index.html, never cached; assets are cached for a year', async () => {
    for (const page of UI_PAGES) {
      const res = await fetch(`${built.url}${page}?query=x`);
      assert.equal(res.status, 200, page);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(await res.text(), '<!doctype html><title>Kiln</title>');
    }
    const asset = await fetch(`${built.url}/assets/index-abc123.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    const standalone = await fetch(`${built.url}/standalone/kiln-standalone.js`);
    assert.equal(await standalone.text(), 'console.log(2)');
    const absent = await fetch(`${built.url}/assets/nope.js`);
    assert.equal(absent.status, 404);
  });

  test('without a build the pages answer ERR_HTTP_UI_NOT_BUILT and the API still works', async () => {
    const res = await fetch(`${missing.url}/`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'ERR_HTTP_UI_NOT_BUILT');
    assert.match(body.message, /npm run build -w @kiln\/ui/);
    assert.equal((await fetch(`${missing.url}/ready`)).status, 200);
  });
});
