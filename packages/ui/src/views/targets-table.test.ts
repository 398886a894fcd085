import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScrapeTargetInfo } from '../api/client.js';
import { buildTargetJobs } from './targets-table.js';

function target(job: string, url: string, profile: string, extra: Partial<ScrapeTargetInfo> = {}): ScrapeTargetInfo {
  return {
    discoveredLabels: {},
    labels: { __name__: profile, job, instance: 'x:1', service_name: 'svc' },
    scrapePool: job,
    scrapeUrl: url,
    lastError: '',
    lastScrape: '0001-01-01T00:00:00Z',
    lastScrapeDuration: 0,
    health: 'unknown',
    scrapeInterval: '15s',
    ...extra,
  };
}

test('targets are grouped by job with up counts; times read as a person would', () => {
  const now = Date.parse('2024-05-14T10:00:00Z');
  const jobs = buildTargetJobs(
    [
      target('pods', 'http://b:1/debug/pprof/goroutine', 'goroutine', {
        health: 'up',
        lastScrape: '2024-05-14T09:59:48Z',
        lastScrapeDuration: 0.0384,
      }),
      target('pods', 'http://a:1/debug/pprof/profile?seconds=14', 'process_cpu', {
        health: 'down',
        lastScrape: '2024-05-14T09:55:00Z',
        lastScrapeDuration: 10.004,
        lastError: 'ERR_SCRAPE_TIMEOUT: ...',
      }),
      target('go', 'http://c:1/debug/pprof/allocs', 'memory'),
    ],
    now,
  );
  assert.deepEqual(
    jobs.map((j) => [j.job, j.up, j.total]),
    [
      ['go', 0, 1],
      ['pods', 1, 2],
    ],
  );
  const [cpu, goroutine] = jobs[1]!.rows;
  assert.equal(cpu!.profile, 'process_cpu');
  assert.equal(cpu!.lastScrape, '5m ago');
  assert.equal(cpu!.duration, '10.00 s');
  assert.equal(cpu!.error, 'ERR_SCRAPE_TIMEOUT: ...');
  assert.equal(goroutine!.lastScrape, '12s ago');
  assert.equal(goroutine!.duration, '38 ms');
  assert.deepEqual(goroutine!.labels, ['service_name=svc']);
  assert.equal(jobs[0]!.rows[0]!.lastScrape, 'never');
  assert.equal(jobs[0]!.rows[0]!.duration, '');
});

test('a job whose discovery fails is listed with the error and when it last happened, targets or not', () => {
  const now = Date.parse('2024-05-14T10:00:00Z');
  const jobs = buildTargetJobs([target('pods', 'http://a:1/debug/pprof/allocs', 'memory')], now, [
    { scrapePool: 'pods', lastError: 'ERR_SCRAPE_DISCOVERY: forbidden', lastErrorTime: '2024-05-14T09:59:30Z' },
    { scrapePool: 'k8s', lastError: 'ERR_SCRAPE_DISCOVERY: HTTP 500', lastErrorTime: '2024-05-14T09:59:58Z' },
  ]);
  assert.deepEqual(
    jobs.map((j) => [j.job, j.total, j.discoveryError]),
    [
      ['k8s', 0, 'ERR_SCRAPE_DISCOVERY: HTTP 500, 2s ago'],
      ['pods', 1, 'ERR_SCRAPE_DISCOVERY: forbidden, 30s ago'],
    ],
  );
  assert.equal(buildTargetJobs([target('go', 'http://c:1/x', 'memory')], now)[0]!.discoveryError, '');
});
