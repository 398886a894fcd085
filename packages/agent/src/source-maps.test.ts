// Source maps for a TypeScript service built with tsc: profiled through the preload entry with
// KILN_SOURCE_MAPS, its frames name the .ts files and lines.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import { functionsOf, valueWithFrame } from './test-helpers/profile-summary.js';
import { Receiver } from './test-helpers/receiver.js';
import { REGISTER, runChild } from './test-helpers/run-child.js';

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// A service as tsc compiles it: CommonJS into dist/, a .js.map beside each .js. The types and
// blank lines make the .ts and .js line numbers differ.
const CART_TS = `export interface Item {
  price: number;
  quantity: number;
}

type Cents = number;

export class Cart {
  constructor(private readonly items: Item[]) {}

  kilnTsTotal(rounds: number): Cents {
    let total: Cents = 0;
    for (let r = 0; r < rounds; r++) for (const item of this.items) total = (total + item.price * item.quantity) % 1_000_003;
    return total;
  }
}
`;
const MAIN_TS = `import { Cart, type Item } from './cart';

function kilnTsHandle(items: Item[], ms: number): number {
  const end = Date.now() + ms;
  let total = 0;
  while (Date.now() < end) total += new Cart(items).kilnTsTotal(2_000);
  return total;
}

const items: Item[] = Array.from({ length: 50 }, (_, i) => ({ price: i, quantity: i % 3 }));
const runUntil = Date.now() + 800;
function tick(): void {
  kilnTsHandle(items, 20);
  if (Date.now() < runUntil) setTimeout(tick, 0);
}
tick();
`;

test('sourceMaps from KILN_SOURCE_MAPS: a tsc-built service is profiled under its .ts files, functions and lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-agent-tsc-'));
  const receiver = await Receiver.start();
  try {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'cart.ts'), CART_TS);
    writeFileSync(join(dir, 'src', 'main.ts'), MAIN_TS);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          target: 'es2022',
          strict: true,
          rootDir: 'src',
          outDir: 'dist',
          sourceMap: true,
        },
      }),
    );
    execFileSync(process.execPath, [TSC, '-p', dir], { stdio: 'pipe' });

    const app = 'agent-test.tsc';
    const child = await runChild([join(dir, 'dist', 'main.js')], {
      cwd: dir,
      nodeArgs: ['--import', REGISTER],
      env: {
        KILN_APPLICATION_NAME: app,
        KILN_SERVER_ADDRESS: receiver.url,
        KILN_UPLOAD_INTERVAL_MS: '60000',
        KILN_HEAP_ENABLED: 'false',
        // `true` scans the working directory for .js files and their maps.
        KILN_SOURCE_MAPS: 'true',
      },
    });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(child.stderr, '');
    assert.equal(receiver.requests.length, 1, 'the final cpu profile');
    const profile = parsePprof(receiver.requests[0]!.body)!;
    assert.ok(valueWithFrame(profile, 'wall', 'kilnTsTotal') > 300e6, 'the 800 ms program was profiled');

    const functions = functionsOf(profile);
    const named = (needle: string) => functions.find((f) => f.name.includes(needle));
    // Names as the official SDK writes them, with the .ts path from the working directory and
    // the .ts line of the function's start (main.ts line 3, cart.ts line 11).
    assert.equal(named('kilnTsHandle')?.name, './src/main.ts:kilnTsHandle:3');
    assert.equal(named('kilnTsHandle')?.file, join(dir, 'src', 'main.ts'));
    assert.equal(named('kilnTsTotal')?.name, './src/cart.ts:kilnTsTotal:11');
    assert.equal(named('kilnTsTotal')?.file, join(dir, 'src', 'cart.ts'));
    assert.ok(!functions.some((f) => f.file.includes(join(dir, 'dist'))), 'no frame names a compiled .js file');
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
