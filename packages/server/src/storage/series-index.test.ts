import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKilnError } from '@kiln/model';
import { SeriesIndex } from './series-index.js';

const index = new SeriesIndex();
index.add({ id: 1n, profileType: 'cpu', labels: { service_name: 'api', pod: 'a-1' } });
index.add({ id: 2n, profileType: 'cpu', labels: { service_name: 'web' } });

test('an invalid regex matcher is a named error that quotes it', () => {
  assert.throws(
    () => index.select([{ name: 'pod', op: '=~', value: '(' }]),
    (err) => isKilnError(err, 'ERR_STORAGE_INVALID_MATCHER') && err.message.includes('pod=~"("'),
  );
});

test('regexes are anchored and a missing label matches as empty', () => {
  assert.deepEqual(
    index.select([{ name: 'pod', op: '=~', value: 'a' }]).map((s) => s.id),
    [],
  );
  assert.deepEqual(
    index.select([{ name: 'pod', op: '=', value: '' }]).map((s) => s.id),
    [2n],
  );
  assert.deepEqual(
    index.select([{ name: 'pod', op: '!~', value: 'a-.*' }]).map((s) => s.id),
    [2n],
  );
});
