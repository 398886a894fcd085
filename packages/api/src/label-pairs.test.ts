import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { LabelPairSchema, fromLabelPairs, toLabelPairs } from './index.js';

test('toLabelPairs sorts by name, so equal label sets give equal messages', () => {
  const pairs = toLabelPairs({ service_name: 'checkout', __name__: 'process_cpu', env: 'prod' });

  assert.deepEqual(pairs, [
    create(LabelPairSchema, { name: '__name__', value: 'process_cpu' }),
    create(LabelPairSchema, { name: 'env', value: 'prod' }),
    create(LabelPairSchema, { name: 'service_name', value: 'checkout' }),
  ]);
  assert.deepEqual(toLabelPairs({ env: 'prod', __name__: 'process_cpu', service_name: 'checkout' }), pairs);
});

test('fromLabelPairs keeps the later of two pairs with one name', () => {
  const labels = fromLabelPairs([
    create(LabelPairSchema, { name: 'env', value: 'staging' }),
    create(LabelPairSchema, { name: 'service_name', value: 'checkout' }),
    create(LabelPairSchema, { name: 'env', value: 'prod' }),
  ]);

  assert.deepEqual(labels, { env: 'prod', service_name: 'checkout' });
});

test('fromLabelPairs treats a label named __proto__ as plain data', () => {
  const labels = fromLabelPairs([create(LabelPairSchema, { name: '__proto__', value: 'x' })]);

  assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  assert.deepEqual(Object.entries(labels), [['__proto__', 'x']]);
  assert.deepEqual(fromLabelPairs(toLabelPairs(labels)), labels);
});
