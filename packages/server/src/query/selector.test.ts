import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKilnError } from '@kiln/model';
import { parseLabelSelector, parseQuery, profileTypeParts } from './selector.js';

test('a query is a profile type id and Prometheus matchers, every operator', () => {
  const q = parseQuery(
    `process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api", pod!="a-1",region=~"eu-.*" , zone!~'x|y', v=\`a\\b\`}`,
  );
  assert.equal(q.profileType, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds');
  assert.deepEqual(q.matchers, [
    { name: 'service_name', op: '=', value: 'api' },
    { name: 'pod', op: '!=', value: 'a-1' },
    { name: 'region', op: '=~', value: 'eu-.*' },
    { name: 'zone', op: '!~', value: 'x|y' },
    { name: 'v', op: '=', value: 'a\\b' },
  ]);
});

test('escapes in double quotes, dots in label names, empty braces, no braces', () => {
  assert.deepEqual(parseLabelSelector('{a="x\\"y\\n", otel.scope.name="n"}'), [
    { name: 'a', op: '=', value: 'x"y\n' },
    { name: 'otel.scope.name', op: '=', value: 'n' },
  ]);
  assert.deepEqual(parseLabelSelector('{}'), []);
  assert.deepEqual(parseLabelSelector(''), []);
  assert.deepEqual(parseQuery('memory:alloc_space:bytes::').profileType, 'memory:alloc_space:bytes::');
});

test('profile type parts allow empty period parts', () => {
  assert.deepEqual(profileTypeParts('memory:alloc_space:bytes::'), {
    name: 'memory',
    sampleType: 'alloc_space',
    sampleUnit: 'bytes',
    periodType: '',
    periodUnit: '',
  });
});

test('broken selectors are ERR_QUERY_INVALID_SELECTOR naming the problem', () => {
  for (const [text, why] of [
    ['{a="b"', 'unterminated|expected'],
    ['{a=b}', 'quoted value'],
    ['{="b"}', 'label name'],
    ['{a~"b"}', 'expected =, !=, =~ or !~'],
    ['{a=~"("}', 'does not compile'],
    ['{a="b"} junk', 'unexpected text'],
    ['cpu{a="b"}', 'not a profile type id'],
    ['{1a="b"}', 'label name'],
    ['{a="b" b="c"}', 'expected , or }'],
  ] as const) {
    assert.throws(
      () => parseQuery(text),
      (err) => isKilnError(err, 'ERR_QUERY_INVALID_SELECTOR') && new RegExp(why).test(err.message),
      text,
    );
  }
  assert.throws(() => parseLabelSelector('process_cpu:cpu:nanoseconds:cpu:nanoseconds{}'), /only `\{...\}`/);
});
