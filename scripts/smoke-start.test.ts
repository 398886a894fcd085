import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('npm start: a kiln-server CPU flame graph within 20 s, and still there after a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiln-smoke-'));
  try {
    const port = await freePort();
    const result = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'smoke-start.mjs'), '--port', String(port), '--data-dir', dataDir],
      { encoding: 'utf8', timeout: 90_000 },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /flame graph after \d+ ms: process_cpu:cpu:/);
    assert.match(result.stdout, /after restart: total \d+/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
