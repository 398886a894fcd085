import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNameColors, DIFF_FULL_CHANGE, diffChange, diffColor, packageOf } from './colors.js';

/** [hue, saturation %, lightness %] of an `hsl(h s% l%)` colour. */
function hsl(color: string): [number, number, number] {
  const m = /^hsl\((\d+) (\d+)% (\d+)%\)$/.exec(color);
  assert.ok(m !== null, color);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

test('diff colours: red when a node grew, green when it shrank, grey when unchanged', () => {
  // 10 % of the baseline's total, 20 % of the comparison's: grew, though its value halved.
  const grew = diffChange(100, 1_000, 50, 250);
  assert.ok(Math.abs(grew - 0.1) < 1e-12);
  assert.equal(hsl(diffColor(grew))[0], 0);
  const shrank = diffChange(500, 1_000, 200, 1_000);
  assert.equal(hsl(diffColor(shrank))[0], 120);
  assert.equal(hsl(diffColor(diffChange(100, 1_000, 300, 3_000)))[1], 0);
  assert.equal(diffChange(0, 0, 0, 0), 0);
});

test('diff colours saturate with the size of the change, symmetrically', () => {
  const small = hsl(diffColor(DIFF_FULL_CHANGE / 50));
  const large = hsl(diffColor(DIFF_FULL_CHANGE / 2));
  const full = hsl(diffColor(DIFF_FULL_CHANGE * 3));
  assert.ok(small[1] > 0 && small[1] < large[1] && large[1] < full[1]);
  assert.equal(hsl(diffColor(-DIFF_FULL_CHANGE / 2))[1], large[1]);
  assert.equal(hsl(diffColor(1e-6))[1], 0, 'a change far below a pixel of colour is grey');
});

test('names are coloured by package, the same way every time', () => {
  assert.equal(packageOf('net/http.(*conn).serve'), 'net/http');
  assert.equal(packageOf('github.com/acme/shop/cart.(*Cart).Add'), 'github.com/acme/shop/cart');
  assert.equal(packageOf('runtime.mallocgc'), 'runtime');
  assert.equal(packageOf('com.example.shop.Cart.add'), 'com.example.shop');
  assert.equal(packageOf('tokio::runtime::park::wait'), 'tokio::runtime::park');
  assert.equal(packageOf('/app/src/db.js:query:12'), '/app/src/db');
  const names = ['runtime.mallocgc', 'runtime.gcBgMarkWorker', 'net/http.serve'];
  const colors = createNameColors(names);
  assert.equal(colors.of(0), colors.of(1), 'one package, one colour');
  assert.equal(createNameColors([...names].reverse()).of(0), colors.of(2), 'stable across graphs');
});
