// The "fresh machine" promise, checked for real: starts `npm start` (the Kiln server with its
// defaults: :4040, ./data, self-profiling), waits until a query for kiln-server's CPU profile
// returns a non-empty flame graph, stops it with SIGTERM, starts it again and checks that the
// earlier data is still there. Used by .ci/run on a fresh clone and by scripts/smoke-start.test.ts.
//
// Usage: node scripts/smoke-start.mjs [--port N] [--data-dir DIR] [--deadline-ms N]
// Exits 0 when every step passed, 1 with a message otherwise.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4040' },
    'data-dir': { type: 'string' },
    'deadline-ms': { type: 'string', default: '20000' },
  },
});
const port = Number(values.port);
const deadlineMs = Number(values['deadline-ms']);
const base = `http://127.0.0.1:${port}`;
const root = new URL('..', import.meta.url).pathname;

function start() {
  const env = { ...process.env, KILN_LOG_LEVEL: 'warn' };
  if (values['data-dir']) env.KILN_DATA_DIR = values['data-dir'];
  if (values.port !== '4040') env.KILN_LISTEN = `127.0.0.1:${port}`;
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  return child;
}

async function stop(child) {
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // npm runs the server as a child: signal the whole process group, as a terminal's Ctrl-C would.
  process.kill(-child.pid, 'SIGTERM');
  const result = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 15_000))]);
  if (result === null) {
    process.kill(-child.pid, 'SIGKILL');
    throw new Error('the server did not stop within 15 s of SIGTERM');
  }
  return result;
}

async function cpuFlameGraph(sinceMs, untilMs) {
  const call = async (method, body) => {
    const res = await fetch(`${base}/querier.v1.QuerierService/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  const end = untilMs ?? Date.now() + 60_000;
  const types = await call('ProfileTypes', { start: String(sinceMs), end: String(end) });
  const cpu = (types.profileTypes ?? []).map((t) => t.ID).find((id) => id.startsWith('process_cpu:cpu:'));
  if (!cpu) return null;
  const res = await call('SelectMergeStacktraces', {
    profileTypeID: cpu,
    labelSelector: '{service_name="kiln-server"}',
    start: String(sinceMs),
    end: String(end),
  });
  const total = Number(res.flamegraph?.total ?? 0);
  return total > 0 ? { profileType: cpu, total, names: res.flamegraph.names.length } : null;
}

async function waitForFlameGraph(sinceMs, started, untilMs) {
  for (;;) {
    try {
      const fg = await cpuFlameGraph(sinceMs, untilMs);
      if (fg) return fg;
    } catch (err) {
      if (!String(err).includes('fetch failed') && !String(err).includes('ECONNREFUSED')) throw err;
    }
    if (Date.now() - started > deadlineMs) return null;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main() {
  const t0 = Date.now();
  let child = start();
  const first = await waitForFlameGraph(t0 - 60_000, t0);
  if (!first) {
    await stop(child);
    throw new Error(`no kiln-server CPU flame graph within ${deadlineMs} ms of npm start`);
  }
  console.log(
    `flame graph after ${Date.now() - t0} ms: ${first.profileType}, total ${first.total}, ${first.names} names`,
  );
  // The UI is served at / (built by npm ci's prepare step); the browser tests check what it draws.
  const page = await fetch(`${base}/`);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<div id="root">')) {
    await stop(child);
    throw new Error(`GET / answered ${page.status}, not the UI's page: ${html.slice(0, 200)}`);
  }
  console.log('GET / serves the UI');
  const stopped = await stop(child);
  const stoppedAt = Date.now();
  console.log(`stopped (${stopped.signal ?? `exit ${stopped.code}`})`);
  child = start();
  try {
    const t1 = Date.now();
    // Only data written before the restart: the range ends when the first run stopped.
    const again = await waitForFlameGraph(t0 - 60_000, t1, stoppedAt);
    if (!again || again.total < first.total) {
      throw new Error(`after a restart the earlier data is missing (total ${again?.total} < ${first.total})`);
    }
    console.log(`after restart: total ${again.total} >= ${first.total}`);
  } finally {
    await stop(child);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`smoke-start: ${err.message}`);
    process.exit(1);
  },
);
