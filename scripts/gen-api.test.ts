import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const script = join(import.meta.dirname, 'gen-api.mjs');
const genDir = join(import.meta.dirname, '..', 'packages', 'api', 'src', 'gen');

function check(dir?: string) {
  const args = dir === undefined ? [script, '--check'] : [script, '--check', dir];
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
}

test('packages/api/src/gen matches packages/api/proto (npm run gen:api)', () => {
  const result = check();
  assert.equal(result.status, 0, result.stderr || result.stdout);
});

test('the drift check names edited, stale and missing files and says how to fix them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-gen-api-test-'));
  try {
    cpSync(genDir, dir, { recursive: true });
    appendFileSync(join(dir, 'push', 'v1', 'push_pb.ts'), '// edited by hand\n');
    writeFileSync(join(dir, 'stale_pb.ts'), 'export {};\n');
    rmSync(join(dir, 'google', 'v1', 'profile_pb.ts'));

    const result = check(dir);

    assert.equal(result.status, 1);
    assert.match(result.stderr, /differs: push\/v1\/push_pb\.ts/);
    assert.match(result.stderr, /not generated: stale_pb\.ts/);
    assert.match(result.stderr, /missing: google\/v1\/profile_pb\.ts/);
    assert.match(result.stderr, /Run `npm run gen:api`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
