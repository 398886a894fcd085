import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isKilnError } from '@kiln/model';
import { startTestServer, type TestServer } from '../test-helpers/server.js';
import { testdata } from '../test-helpers/testdata.js';
import { parseScrapeConfigs } from './scrape-config.js';
import { waitForTargets } from './test-helpers/scrape-probe.js';

// Targets behind TLS and authentication: an HTTPS server with a certificate made by openssl for
// this run (its own CA), serving a real Go goroutine profile (testdata/go) only to the right
// basic-auth password or bearer token, and Kiln scraping it with Prometheus's basic_auth,
// authorization and tls_config.

const goroutineOnly = {
  process_cpu: { enabled: false },
  memory: { enabled: false },
  mutex: { enabled: false },
  block: { enabled: false },
};

let dir: string;
let target: Server;
let address: string;
/** `authorization` headers the target received, in order. */
const seen: string[] = [];
let validTokens = new Set(['Basic ' + Buffer.from('kiln:s3cret').toString('base64'), 'Bearer token-1']);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-scrape-tls-'));
  // A CA, and a server certificate it signs for 127.0.0.1.
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=kiln test CA',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=target');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:target.internal\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  const goroutines = readFileSync(testdata('go', 'goroutine.pb.gz'));
  target = createServer(
    { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) },
    (req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push(auth);
      if (!validTokens.has(auth)) res.writeHead(401).end('unauthorized');
      else res.end(goroutines);
    },
  );
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(target.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'password'), 's3cret\n');
  writeFileSync(join(dir, 'token'), 'token-1\n');
});

after(async () => {
  target?.closeAllConnections();
  await new Promise((r) => target?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function job(name: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    job_name: name,
    scrape_interval: '1s',
    scheme: 'https',
    static_configs: [{ targets: [address] }],
    profiling_config: goroutineOnly,
    ...extra,
  };
}

describe('scraping over TLS with authentication', () => {
  let kiln: TestServer;
  after(async () => kiln?.stop());

  test('each job gets what its config says: CA, client auth, no verification, wrong password, no CA', async () => {
    kiln = await startTestServer({
      scrapeConfigs: parseScrapeConfigs(
        [
          job('basic', {
            basic_auth: { username: 'kiln', password_file: join(dir, 'password') },
            tls_config: { ca_file: join(dir, 'ca.pem') },
          }),
          job('bearer', {
            authorization: { credentials_file: join(dir, 'token') },
            tls_config: { ca_file: join(dir, 'ca.pem'), server_name: 'target.internal' },
          }),
          job('skip-verify', { bearer_token: 'token-1', tls_config: { insecure_skip_verify: true } }),
          job('wrong-password', {
            basic_auth: { username: 'kiln', password: 'guess' },
            tls_config: { ca_file: join(dir, 'ca.pem') },
          }),
          job('no-ca', { bearer_token: 'token-1' }),
        ],
        'test: scrape_configs',
      ),
    });
    const targets = await waitForTargets(kiln.url, (ts) => ts.length === 5 && ts.every((t) => t.health !== 'unknown'));
    const byJob = Object.fromEntries(targets.map((t) => [t.scrapePool, t]));
    assert.equal(byJob['basic']!.health, 'up', byJob['basic']!.lastError);
    assert.equal(byJob['bearer']!.health, 'up', byJob['bearer']!.lastError);
    assert.equal(byJob['skip-verify']!.health, 'up', byJob['skip-verify']!.lastError);
    assert.match(byJob['wrong-password']!.lastError, /^ERR_SCRAPE_HTTP_STATUS: .*HTTP 401: unauthorized/);
    assert.match(
      byJob['no-ca']!.lastError,
      /^ERR_SCRAPE_CONNECT: cannot reach https:\/\/127\.0\.0\.1:\d+\/debug\/pprof\/goroutine: .*(certificate|CERT)/,
    );
    // The scraped profile is stored under the job's series like any other (at the capture's own time).
    const params = new URLSearchParams({
      query: 'goroutine:goroutine:count:goroutine:count{service_name="basic"}',
      from: 'now-5y',
      until: 'now',
      format: 'collapsed',
    });
    assert.match(await (await fetch(`${kiln.url}/pyroscope/render?${params}`)).text(), /main\.main/);
  });

  test('a rotated token file applies at the next scrape; a deleted one is ERR_SCRAPE_CREDENTIALS', async () => {
    const before = seen.filter((h) => h === 'Bearer token-2').length;
    validTokens = new Set([...validTokens, 'Bearer token-2']);
    writeFileSync(join(dir, 'token'), 'token-2\n');
    await waitForTargets(kiln.url, () => seen.filter((h) => h === 'Bearer token-2').length > before, 10_000);
    unlinkSync(join(dir, 'password'));
    const targets = await waitForTargets(kiln.url, (ts) =>
      ts.some((t) => t.scrapePool === 'basic' && t.lastError.startsWith('ERR_SCRAPE_CREDENTIALS')),
    );
    assert.match(
      targets.find((t) => t.scrapePool === 'basic')!.lastError,
      /^ERR_SCRAPE_CREDENTIALS: job basic: cannot read `.*password`: ENOENT$/,
    );
    assert.equal(targets.find((t) => t.scrapePool === 'bearer')!.health, 'up');
  });
});

test('bad auth and TLS configs are ERR_SCRAPE_CONFIG_INVALID naming the key', () => {
  const invalid = (extra: Record<string, unknown>, path: RegExp): void =>
    assert.throws(
      () => parseScrapeConfigs([job('j', extra)], 'kiln.yaml: scrape_configs'),
      (err) => isKilnError(err, 'ERR_SCRAPE_CONFIG_INVALID') && path.test(err.message),
    );
  invalid(
    { basic_auth: { username: 'a', password: 'b' }, bearer_token: 'c' },
    /scrape_configs\[0\]\.bearer_token: only one of/,
  );
  invalid(
    { basic_auth: { username: 'a', password_file: '/nonexistent/pw' } },
    /basic_auth\.password_file: cannot read `\/nonexistent\/pw`: ENOENT/,
  );
  invalid(
    { authorization: { type: 'Bearer' } },
    /authorization: needs exactly one of credentials and credentials_file/,
  );
  invalid(
    { authorization: { type: 'Two words', credentials: 'x' } },
    /authorization\.type: `Two words` is not an HTTP auth scheme/,
  );
  invalid({ tls_config: { cert_file: join(dir, 'server.pem') } }, /tls_config: cert_file and key_file go together/);
  invalid({ tls_config: { ca_file: '/nonexistent/ca.pem' } }, /tls_config\.ca_file: cannot read/);
  invalid({ tls_config: { insecure_skip_verify: 'yes' } }, /tls_config\.insecure_skip_verify/);
  invalid({ tls_config: { verify: false } }, /tls_config\.verify: unknown key/);
});

test('a CA file that is not PEM makes every scrape of the job ERR_SCRAPE_TLS; the server serves on', async () => {
  writeFileSync(join(dir, 'bad-ca.pem'), 'not a certificate\n');
  const kiln = await startTestServer({
    scrapeConfigs: parseScrapeConfigs(
      [job('bad-ca', { bearer_token: 'token-1', tls_config: { ca_file: join(dir, 'bad-ca.pem') } })],
      'test: scrape_configs',
    ),
  });
  try {
    const [t] = await waitForTargets(kiln.url, (ts) => ts.length === 1 && ts[0]!.health === 'down');
    assert.match(t!.lastError, /^ERR_SCRAPE_TLS: job bad-ca: tls_config: /);
    assert.equal((await fetch(`${kiln.url}/ready`)).status, 200);
  } finally {
    await kiln.stop();
  }
});
