import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../test-helpers/server.js';
import { parseScrapeConfigs } from './scrape-config.js';
import { startGoPprofServer, type GoPprofServer } from './test-helpers/go-pprof-server.js';
import { renderFolded, startHttp, waitForTargets } from './test-helpers/scrape-probe.js';

// Pull mode against a real Go program serving net/http/pprof (testdata/scrape/go-pprof-server),
// next to targets that misbehave: one answers garbage, one never answers, one sends too much.
describe('scraping a Go program and misbehaving targets', () => {
  let go: GoPprofServer;
  let kiln: TestServer;
  const others: { stop(): Promise<void> }[] = [];
  let garbage: string;
  let slow: string;
  let huge: string;

  before(async () => {
    go = await startGoPprofServer();
    const g = await startHttp((_req, res) => res.end('this is not a profile\n'));
    const s = await startHttp(() => {
      // Never answers: the scrape must time out.
    });
    const h = await startHttp((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(300_000, 7));
    });
    others.push(g, s, h);
    [garbage, slow, huge] = [g.address, s.address, h.address];
    kiln = await startTestServer({
      scrapeMaxBodyBytes: 200_000,
      scrapeConfigs: parseScrapeConfigs(
        [
          {
            job_name: 'go-app',
            scrape_interval: '2s',
            scrape_timeout: '1s',
            static_configs: [{ targets: [go.address], labels: { env: 'test' } }],
          },
          {
            job_name: 'broken',
            scrape_interval: '1s',
            scrape_timeout: '500ms',
            static_configs: [{ targets: [garbage, slow, huge] }],
            profiling_config: {
              process_cpu: { enabled: false },
              memory: { enabled: false },
              mutex: { enabled: false },
              block: { enabled: false },
            },
          },
        ],
        'test: scrape_configs',
      ),
    });
  });
  after(async () => {
    await kiln?.stop();
    await go?.stop();
    for (const o of others) await o.stop();
  });

  test('CPU, memory, goroutine, mutex and block of the Go program are scraped and queryable with the target labels', async () => {
    const targets = await waitForTargets(kiln.url, (ts) =>
      ts.filter((t) => t.scrapePool === 'go-app').every((t) => t.health === 'up'),
    );
    const goTargets = targets.filter((t) => t.scrapePool === 'go-app');
    assert.deepEqual(goTargets.map((t) => t.labels.__name__).sort(), [
      'block',
      'goroutine',
      'memory',
      'mutex',
      'process_cpu',
    ]);
    const cpu = goTargets.find((t) => t.labels.__name__ === 'process_cpu')!;
    // CPU profiles last the interval minus a second, so consecutive scrapes cover the time.
    assert.equal(cpu.scrapeUrl, `http://${go.address}/debug/pprof/profile?seconds=1`);
    assert.deepEqual(cpu.labels, {
      __name__: 'process_cpu',
      env: 'test',
      instance: go.address,
      job: 'go-app',
      service_name: 'go-app',
    });
    assert.equal(cpu.lastError, '');
    assert.ok(cpu.lastScrapeDuration >= 1, `a 1 s CPU profile took ${cpu.lastScrapeDuration} s`);

    const selector = `{service_name="go-app",job="go-app",env="test",instance="${go.address}"}`;
    const folded = await renderFolded(kiln.url, `process_cpu:cpu:nanoseconds:cpu:nanoseconds${selector}`);
    assert.match(folded, /main\.kilnScrapeHotLoop \d+/);
    const goroutines = await renderFolded(kiln.url, `goroutine:goroutine:count:goroutine:count${selector}`);
    assert.match(goroutines, /net\/http\.\(\*Server\)\.Serve|net\/http\.Serve/);

    // Allocations are delta'd: the first scrape is a baseline, so wait for a second one.
    let allocs = '';
    for (let i = 0; i < 50 && !/kilnScrapeAllocate/.test(allocs); i++) {
      allocs = await renderFolded(kiln.url, `memory:alloc_space:bytes:space:bytes${selector}`);
      if (!/kilnScrapeAllocate/.test(allocs)) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(allocs, /main\.kilnScrapeAllocate \d+/);
    const inuse = await renderFolded(kiln.url, `memory:inuse_space:bytes:space:bytes${selector}`);
    assert.ok(inuse.length > 0, 'in-use memory (not delta’d) is stored from the first scrape');
  });

  test('a target answering garbage, one timing out and one sending too much are down with their errors; the rest is unaffected', async () => {
    const targets = await waitForTargets(kiln.url, (ts) =>
      ts.filter((t) => t.scrapePool === 'broken').every((t) => t.health === 'down'),
    );
    const byAddress = new Map(targets.filter((t) => t.scrapePool === 'broken').map((t) => [t.labels.instance, t]));
    assert.match(byAddress.get(garbage)!.lastError, /^ERR_INGEST_NOT_PPROF: /);
    assert.match(byAddress.get(slow)!.lastError, /^ERR_SCRAPE_TIMEOUT: .* 500 ms/);
    assert.match(byAddress.get(huge)!.lastError, /^ERR_SCRAPE_TOO_LARGE: .*scrape_max_body_bytes \(200000\)/);
    assert.ok(byAddress.get(slow)!.lastScrapeDuration < 1.5);
    assert.equal((await fetch(`${kiln.url}/ready`)).status, 200);
    assert.ok(targets.filter((t) => t.scrapePool === 'go-app').every((t) => t.health === 'up'));
    const metrics = await (await fetch(`${kiln.url}/metrics`)).text();
    assert.match(metrics, /kiln_scrapes_total\{job="broken",profile="goroutine",result="timeout"\} \d+/);
    assert.match(metrics, /kiln_scrapes_total\{job="go-app",profile="process_cpu",result="ok"\} \d+/);
  });

  test('GET /api/v1/targets filters by state and refuses an unknown one', async () => {
    const dropped = (await (await fetch(`${kiln.url}/api/v1/targets?state=dropped`)).json()) as {
      data: { activeTargets: unknown[] };
    };
    assert.deepEqual(dropped.data.activeTargets, []);
    const bad = await fetch(`${kiln.url}/api/v1/targets?state=nope`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'ERR_HTTP_BAD_REQUEST');
  });
});
