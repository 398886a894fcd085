import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relabel } from './relabel.js';
import { parseScrapeConfigs } from './scrape-config.js';

function rules(list: unknown[]) {
  return parseScrapeConfigs([{ job_name: 'j', relabel_configs: list }], 'test')[0]!.relabelConfigs;
}

const pod = {
  __address__: '10.0.0.7:6060',
  __meta_kubernetes_namespace: 'shop',
  __meta_kubernetes_pod_name: 'cart-1',
  __meta_kubernetes_pod_label_app_kubernetes_io_name: 'cart',
  __meta_kubernetes_pod_label_tier: 'web',
};

test('replace: joined sources, anchored regex, $1 and ${1}, target from groups; an empty result deletes', () => {
  const out = relabel(
    pod,
    rules([
      {
        source_labels: ['__meta_kubernetes_namespace', '__meta_kubernetes_pod_name'],
        separator: '/',
        target_label: 'where',
      },
      { source_labels: ['__address__'], regex: '(.*):(\\d+)', target_label: 'port', replacement: '${2}' },
      { source_labels: ['__address__'], regex: '10\\.0', target_label: 'unanchored' },
      {
        source_labels: ['__meta_kubernetes_pod_label_tier'],
        regex: '(?<t>.+)',
        target_label: 'tier_$t',
        replacement: '$$${t}',
      },
      { source_labels: ['nothing'], target_label: '__address__' },
    ]),
  );
  const rest: Record<string, string> = { ...pod };
  delete rest.__address__;
  assert.deepEqual(out, { ...rest, where: 'shop/cart-1', port: '6060', tier_web: '$web' });
});

test('keep, drop, keepequal, dropequal decide whether the target stays', () => {
  assert.equal(
    relabel(pod, rules([{ source_labels: ['__meta_kubernetes_namespace'], regex: 'kube-.*', action: 'keep' }])),
    null,
  );
  assert.ok(
    relabel(pod, rules([{ source_labels: ['__meta_kubernetes_namespace'], regex: 'shop|web', action: 'keep' }])),
  );
  assert.equal(
    relabel(pod, rules([{ source_labels: ['__meta_kubernetes_pod_label_tier'], regex: 'web', action: 'drop' }])),
    null,
  );
  const same = { ...pod, a: 'x', b: 'x' };
  assert.ok(relabel(same, rules([{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }])));
  assert.equal(relabel(same, rules([{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }])), null);
});

test('labelmap copies matching names, labeldrop and labelkeep remove by name, lowercase and uppercase', () => {
  const out = relabel(
    pod,
    rules([
      { regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' },
      { regex: 'tier', action: 'labeldrop' },
      { source_labels: ['app_kubernetes_io_name'], target_label: 'upper', action: 'uppercase' },
    ]),
  )!;
  assert.equal(out.app_kubernetes_io_name, 'cart');
  assert.equal(out.tier, undefined);
  assert.equal(out.__meta_kubernetes_pod_label_tier, 'web', 'labelmap copies, it does not move');
  assert.equal(out.upper, 'CART');
  assert.deepEqual(relabel(pod, rules([{ regex: '__.*', action: 'labelkeep' }])), pod);
  assert.deepEqual(relabel(pod, rules([{ regex: '__meta.*', action: 'labelkeep' }])), {
    __meta_kubernetes_namespace: 'shop',
    __meta_kubernetes_pod_name: 'cart-1',
    __meta_kubernetes_pod_label_app_kubernetes_io_name: 'cart',
    __meta_kubernetes_pod_label_tier: 'web',
  });
});

test('the input is never changed', () => {
  const before = structuredClone(pod);
  relabel(pod, rules([{ regex: '.*', action: 'labeldrop' }]));
  assert.deepEqual(pod, before);
});
