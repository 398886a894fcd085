import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { parsePprof, gunzip } from '@kiln/formats';
import { ProfileBuilder, sumValues } from '@kiln/model';
import { IngestClient } from './ingest-client.js';
import { WindowUploader } from './window-uploader.js';

const CPU = { type: 'cpu', unit: 'nanoseconds' };

function window(valueNs: number, startMs: number) {
  const b = new ProfileBuilder({ sampleTypes: [CPU], periodType: CPU, period: 10_000_000 });
  b.addStack(['main', 'work'], [valueNs]);
  return { profile: b.build(), startMs, endMs: startMs + 1_000, spyName: 'perf' };
}

/** A real HTTP server answering `status()` to each /ingest; records what it took. */
async function ingestServer(status: () => number) {
  const received: { url: URL; valueNs: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code === 200) {
        const profile = parsePprof(gunzip(Buffer.concat(chunks), 1 << 26))!;
        received.push({ url: new URL(req.url!, 'http://x'), valueNs: sumValues(profile, 0) });
      }
      res
        .writeHead(code, { 'content-type': 'application/json' })
        .end(code === 200 ? '' : '{"code":"ERR_X","message":"busy"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

test('windows wait while the server answers 503 and all arrive, in order, once it is back', async () => {
  let down = true;
  const server = await ingestServer(() => (down ? 503 : 200));
  const warnings: string[] = [];
  const uploader = new WindowUploader(
    new IngestClient({ serverAddress: server.url, appName: 'svc', tags: { env: 'x' } }),
    {
      warn: (m) => warnings.push(m),
      retryInitialDelayMs: 20,
      retryMaxDelayMs: 40,
    },
  );
  for (let i = 1; i <= 5; i++) uploader.push(window(i * 10_000_000, 1_795_000_000_000 + i * 1_000));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.received.length, 0);
  assert.ok(
    warnings.some((w) => /retrying in \d+ ms: .*503: ERR_X: busy/.test(w)),
    warnings.join('\n'),
  );
  down = false;
  await uploader.flush(5_000);
  assert.deepEqual(
    server.received.map((r) => r.valueNs),
    [1, 2, 3, 4, 5].map((i) => i * 10_000_000),
  );
  const url = server.received[0]!.url;
  assert.equal(url.searchParams.get('name'), 'svc{env=x}');
  assert.equal(url.searchParams.get('format'), 'pprof');
  assert.equal(url.searchParams.get('spyName'), 'perf');
  assert.equal(url.searchParams.get('from'), '1795000001');
  assert.equal(url.searchParams.get('until'), '1795000002');
  assert.equal(uploader.sent, 5);
  await server.close();
});

test('the queue is bounded: beyond maxQueuedWindows the oldest are dropped; a 400 is dropped, not retried', async () => {
  let status = 503;
  const server = await ingestServer(() => status);
  const warnings: string[] = [];
  const uploader = new WindowUploader(new IngestClient({ serverAddress: server.url, appName: 'svc', tags: {} }), {
    warn: (m) => warnings.push(m),
    maxQueuedWindows: 3,
    retryInitialDelayMs: 20,
    retryMaxDelayMs: 20,
  });
  for (let i = 1; i <= 6; i++) uploader.push(window(i, 1_795_000_000_000));
  assert.equal(uploader.dropped, 3);
  assert.ok(warnings.some((w) => w.includes('upload queue full (3 windows)')));
  status = 200;
  await uploader.flush(5_000);
  // The first window was in flight when the queue filled; of the others the newest two stayed.
  assert.deepEqual(
    server.received.map((r) => r.valueNs),
    [1, 5, 6],
  );
  status = 400;
  uploader.push(window(7, 1_795_000_000_000));
  await uploader.flush(5_000);
  assert.equal(uploader.dropped, 4);
  assert.ok(warnings.some((w) => /refused and dropped: .*400/.test(w)));
  await server.close();
});

test('flush gives up after its timeout while the server stays down, and says how many were lost', async () => {
  const server = await ingestServer(() => 503);
  const warnings: string[] = [];
  const uploader = new WindowUploader(new IngestClient({ serverAddress: server.url, appName: 'svc', tags: {} }), {
    warn: (m) => warnings.push(m),
    retryInitialDelayMs: 10_000,
  });
  uploader.push(window(1, 1_795_000_000_000));
  uploader.push(window(2, 1_795_000_000_000));
  await uploader.flush(300);
  assert.ok(
    warnings.some((w) => /2 window\(s\) not sent/.test(w) || /1 window\(s\) not sent/.test(w)),
    warnings.join('\n'),
  );
  await server.close();
});
