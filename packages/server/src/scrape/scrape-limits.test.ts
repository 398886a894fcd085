import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../test-helpers/server.js';
import { parseScrapeConfigs } from './scrape-config.js';
import { scrapeOffsetMs } from './scrape-manager.js';
import { startHttp, waitForTargets } from './test-helpers/scrape-probe.js';

const goroutineOnly = {
  process_cpu: { enabled: false },
  memory: { enabled: false },
  mutex: { enabled: false },
  block: { enabled: false },
};

test('scrape_max_targets: targets past the limit are listed down with ERR_SCRAPE_TARGET_LIMIT and never scraped', async () => {
  let hits = 0;
  const target = await startHttp((_req, res) => {
    hits++;
    res.writeHead(500).end();
  });
  const kiln = await startTestServer({
    scrapeMaxTargets: 2,
    scrapeConfigs: parseScrapeConfigs(
      [
        {
          job_name: 'many',
          scrape_interval: '1s',
          // One address, three targets: targets differ by their labels too.
          static_configs: ['a', 'b', 'c'].map((replica) => ({ targets: [target.address], labels: { replica } })),
          profiling_config: goroutineOnly,
        },
      ],
      'test: scrape_configs',
    ),
  });
  try {
    const targets = await waitForTargets(kiln.url, (ts) => ts.filter((t) => t.health === 'down').length === 3);
    const limited = targets.filter((t) => t.lastError.startsWith('ERR_SCRAPE_TARGET_LIMIT'));
    assert.equal(limited.length, 1);
    assert.match(limited[0]!.lastError, /scrape_max_targets \(2\)/);
    assert.equal(limited[0]!.lastScrape, '0001-01-01T00:00:00Z');
    for (const t of targets.filter((x) => !limited.includes(x)))
      assert.match(t.lastError, /^ERR_SCRAPE_HTTP_STATUS: .*HTTP 500/);
    assert.ok(hits >= 2);
  } finally {
    await kiln.stop();
    await target.stop();
  }
});

test('scrape_max_concurrent: no more scrapes are in flight than the limit', async () => {
  let inFlight = 0;
  let most = 0;
  const slow = await startHttp((_req, res) => {
    inFlight++;
    most = Math.max(most, inFlight);
    res.once('finish', () => inFlight--);
    setTimeout(() => res.writeHead(404).end('no'), 150);
  });
  const kiln = await startTestServer({
    scrapeMaxConcurrent: 1,
    scrapeConfigs: parseScrapeConfigs(
      [
        {
          job_name: 'crowd',
          scrape_interval: '1s',
          static_configs: ['a', 'b', 'c', 'd'].map((replica) => ({ targets: [slow.address], labels: { replica } })),
          profiling_config: goroutineOnly,
        },
      ],
      'test: scrape_configs',
    ),
  });
  try {
    const targets = await waitForTargets(kiln.url, (ts) => ts.length === 4 && ts.every((t) => t.health === 'down'));
    for (const t of targets) assert.match(t.lastError, /^ERR_SCRAPE_HTTP_STATUS: .*HTTP 404: no/);
    assert.equal(most, 1, 'one scrape at a time');
  } finally {
    await kiln.stop();
    await slow.stop();
  }
});

test('a closed port is ERR_SCRAPE_CONNECT', async () => {
  const closed = await startHttp(() => undefined);
  await closed.stop();
  const kiln = await startTestServer({
    scrapeConfigs: parseScrapeConfigs(
      [
        {
          job_name: 'gone',
          scrape_interval: '1s',
          static_configs: [{ targets: [closed.address] }],
          profiling_config: goroutineOnly,
        },
      ],
      'test: scrape_configs',
    ),
  });
  try {
    const [t] = await waitForTargets(kiln.url, (ts) => ts[0]?.health === 'down');
    assert.match(t!.lastError, /^ERR_SCRAPE_CONNECT: cannot reach .*ECONNREFUSED/);
  } finally {
    await kiln.stop();
  }
});

test('targets are spread over the interval: each at a stable offset of its own', () => {
  const keys = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify(['job', 'process_cpu', `http://10.0.0.${i}:6060/`]),
  );
  const offsets = keys.map((k) => scrapeOffsetMs(k, 15_000));
  assert.ok(offsets.every((o) => o >= 0 && o < 15_000));
  assert.deepEqual(
    offsets,
    keys.map((k) => scrapeOffsetMs(k, 15_000)),
    'the same target keeps its phase',
  );
  // Ten 1.5 s slices of the interval all get some of the 200 targets; none gets a third of them.
  const perSlice = new Array<number>(10).fill(0);
  for (const o of offsets) perSlice[Math.floor(o / 1500)]!++;
  assert.ok(
    perSlice.every((n) => n > 0 && n < 67),
    perSlice.join(),
  );
});
