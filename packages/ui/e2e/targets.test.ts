// The Targets page end to end: a real Kiln server scraping a stub that serves a real Go pprof
// capture and a target that fails, and a Kubernetes job whose API stand-in refuses every list; the
// built app in Debian's Chromium. What the page shows is compared with what /api/v1/targets answers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { parseScrapeConfigs } from '../../server/src/scrape/scrape-config.js';
import { startKubeApiStandIn, type KubeApiStandIn } from '../../server/src/scrape/test-helpers/kube-api-stand-in.js';
import { startTestServer, type TestServer } from '../../server/src/test-helpers/server.js';
import { testdata } from '../../server/src/test-helpers/testdata.js';
import { launchChromium } from './browser.js';

let kiln: TestServer;
let stub: Server;
let browser: Browser;
let kubeApi: KubeApiStandIn;

before(async () => {
  kubeApi = await startKubeApiStandIn();
  kubeApi.failLists(1_000_000);
  const goroutines = readFileSync(testdata('go', 'goroutine.pb.gz'));
  stub = createServer((req, res) => {
    if (req.url?.startsWith('/debug/pprof/goroutine')) res.end(goroutines);
    else res.writeHead(503).end('warming up');
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(stub.address() as AddressInfo).port}`;
  kiln = await startTestServer({
    scrapeConfigs: parseScrapeConfigs(
      [
        {
          job_name: 'go-demo',
          scrape_interval: '1s',
          static_configs: [{ targets: [address], labels: { env: 'e2e' } }],
          profiling_config: { process_cpu: { enabled: false }, mutex: { enabled: false }, block: { enabled: false } },
        },
        {
          job_name: 'k8s-pods',
          kubernetes_sd_configs: [{ role: 'pod', kubeconfig_file: kubeApi.kubeconfig }],
        },
      ],
      'e2e: scrape_configs',
    ),
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await kiln?.stop();
  await kubeApi?.stop();
  stub?.closeAllConnections();
  stub?.close();
});

test('/targets lists each target with its health and error, as the API does', async () => {
  // Wait until both targets were scraped once.
  for (let i = 0; i < 50; i++) {
    const body = (await (await fetch(`${kiln.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string }[] };
    };
    if (body.data.activeTargets.every((t) => t.health !== 'unknown')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const page = await browser.newPage();
  try {
    await page.goto(`${kiln.url}/targets`);
    await page.getByTestId('targets-job-go-demo').waitFor();
    await page.getByText('(1/2 up)').waitFor();
    const rows = page.getByTestId('target-row');
    assert.equal(await rows.count(), 2);
    const texts = (await rows.allInnerTexts()).sort();
    assert.match(texts[0]!, /\/debug\/pprof\/allocs\s+memory\s+down/);
    assert.match(texts[0]!, /ERR_SCRAPE_HTTP_STATUS: .*HTTP 503: warming up/);
    assert.match(texts[1]!, /\/debug\/pprof\/goroutine\s+goroutine\s+up/);
    assert.match(texts[1]!, /env=e2e/);
    assert.match(texts[1]!, /service_name=go-demo/);
    assert.equal(await page.getByTestId('nav-targets').getAttribute('aria-current'), 'page');
  } finally {
    await page.close();
  }
});

test('/targets says why a job has no targets when its Kubernetes discovery fails, as the API does', async () => {
  const body = (await (await fetch(`${kiln.url}/api/v1/targets`)).json()) as {
    data: { discoveryErrors: { scrapePool: string; lastError: string }[] };
  };
  assert.deepEqual(
    body.data.discoveryErrors.map((e) => e.scrapePool),
    ['k8s-pods'],
  );
  const page = await browser.newPage();
  try {
    await page.goto(`${kiln.url}/targets`);
    const job = page.getByTestId('targets-job-k8s-pods');
    await job.waitFor();
    const shown = await job.getByTestId('discovery-error').innerText();
    assert.match(shown, /Service discovery is failing/);
    assert.ok(shown.includes(body.data.discoveryErrors[0]!.lastError), shown);
    // The API server's own words (its Status message), not the client library's dump of the response.
    assert.match(
      shown,
      /ERR_SCRAPE_DISCOVERY: listing or watching pods failed \(HTTP 500\): etcdserver: request timed out;/,
    );
    assert.equal(await job.getByTestId('target-row').count(), 0);
  } finally {
    await page.close();
  }
});
