import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podTargetGroup } from './kubernetes-sd.js';
import { parseScrapeConfigs } from './scrape-config.js';
import { buildTargets, staticTargetGroups } from './targets.js';
import { readPodList } from './test-helpers/kube-api-stand-in.js';
import type { V1Pod } from '@kubernetes/client-node';

function job(extra: Record<string, unknown> = {}) {
  return parseScrapeConfigs([{ job_name: 'j', scrape_interval: '15s', ...extra }], 'test')[0]!;
}

function podWith(annotations: Record<string, string>, ports: { containerPort: number; name?: string }[]): V1Pod {
  const pod = structuredClone(readPodList().items.find((p) => p.metadata.name.startsWith('cart'))!);
  pod.metadata.annotations = annotations;
  pod.spec.containers[0]!.ports = ports;
  return pod as unknown as V1Pod;
}

function addresses(pod: V1Pod): string[] {
  return buildTargets(job(), [podTargetGroup(pod)]).active.map((t) => `${t.profile} ${t.url}`);
}

test('static targets: one per enabled profile, CPU asks for interval − 1 seconds, service_name defaults to the job', () => {
  const j = job({
    static_configs: [{ targets: ['10.1.2.3:6060'], labels: { env: 'prod' } }],
    profiling_config: { mutex: { enabled: false }, memory: { path: '/debug/pprof/heap' } },
  });
  const { active } = buildTargets(j, staticTargetGroups(j));
  assert.deepEqual(
    active.map((t) => t.url),
    [
      'http://10.1.2.3:6060/debug/pprof/profile?seconds=14',
      'http://10.1.2.3:6060/debug/pprof/heap',
      'http://10.1.2.3:6060/debug/pprof/goroutine',
      'http://10.1.2.3:6060/debug/pprof/block',
    ],
  );
  assert.deepEqual(active[0]!.labels, { env: 'prod', instance: '10.1.2.3:6060', job: 'j', service_name: 'j' });
  assert.equal(active[0]!.timeoutMs, 10_000 + 14_000, 'the CPU profile’s seconds come on top of scrape_timeout');
  assert.equal(active[1]!.timeoutMs, 10_000);
});

test('relabelling can rename, drop by profile (__name__), set the scheme, path and URL parameters', () => {
  const j = job({
    static_configs: [{ targets: ['a:1', 'b:2'] }],
    relabel_configs: [
      { source_labels: ['__address__'], regex: 'b:2', action: 'drop' },
      { source_labels: ['__name__'], regex: 'process_cpu|memory', action: 'keep' },
      { target_label: 'service_name', replacement: 'checkout' },
      { target_label: '__scheme__', replacement: 'https' },
      {
        source_labels: ['__name__'],
        regex: 'memory',
        target_label: '__profile_path__',
        replacement: '/debug/pprof/delta_heap',
      },
      { target_label: '__param_gc', replacement: '1' },
    ],
  });
  const { active, dropped } = buildTargets(j, staticTargetGroups(j));
  assert.deepEqual(
    active.map((t) => t.url),
    ['https://a:1/debug/pprof/profile?gc=1&seconds=14', 'https://a:1/debug/pprof/delta_heap?gc=1'],
  );
  assert.equal(active[0]!.labels.service_name, 'checkout');
  assert.equal(dropped.length, 5 + 3, 'b:2 for every profile, a:1 for the three not kept');
});

test('pod annotations: port_name picks the container port, port sets it, else http2 / *-metrics / *-profiles ports', () => {
  const ports = [
    { containerPort: 8080, name: 'http' },
    { containerPort: 6060, name: 'http-metrics' },
  ];
  assert.deepEqual(addresses(podWith({}, ports)), [], 'no annotations, no targets');
  assert.deepEqual(
    addresses(
      podWith(
        { 'profiles.grafana.com/goroutine.scrape': 'true', 'profiles.grafana.com/goroutine.port_name': 'http' },
        ports,
      ),
    ),
    ['goroutine http://10.244.2.4:8080/debug/pprof/goroutine'],
  );
  assert.deepEqual(
    addresses(podWith({ 'profiles.grafana.com/cpu.scrape': 'true', 'profiles.grafana.com/cpu.port': '9999' }, ports)),
    ['process_cpu http://10.244.2.4:9999/debug/pprof/profile?seconds=14'],
    'both ports become one target once the port is rewritten',
  );
  assert.deepEqual(addresses(podWith({ 'profiles.grafana.com/memory.scrape': 'true' }, ports)), [
    'memory http://10.244.2.4:6060/debug/pprof/allocs',
  ]);
  assert.deepEqual(
    addresses(
      podWith(
        {
          'profiles.grafana.com/block.scrape': 'true',
          'profiles.grafana.com/block.port_name': 'http',
          'profiles.grafana.com/block.scheme': 'https',
          'profiles.grafana.com/block.path': '/internal/block',
          'profiles.grafana.com/mutex.scrape': 'false',
        },
        ports,
      ),
    ),
    ['block https://10.244.2.4:8080/internal/block'],
  );
});

test('pod meta labels follow Prometheus: sanitized label and annotation names, one target per container port', () => {
  const group = podTargetGroup(
    readPodList().items.find((p) => p.metadata.name.startsWith('coredns')) as unknown as V1Pod,
  );
  assert.equal(group.labels.__meta_kubernetes_pod_label_k8s_app, 'kube-dns');
  assert.equal(group.labels.__meta_kubernetes_pod_labelpresent_k8s_app, 'true');
  assert.equal(group.labels.__meta_kubernetes_pod_ready, 'true');
  assert.equal(group.labels.__meta_kubernetes_pod_node_name, 'control-plane');
  assert.deepEqual(
    group.targets.map(
      (t) =>
        `${t.__address__} ${t.__meta_kubernetes_pod_container_port_name}/${t.__meta_kubernetes_pod_container_port_protocol}`,
    ),
    ['10.244.0.2:53 dns/UDP', '10.244.0.2:53 dns-tcp/TCP', '10.244.0.2:9153 metrics/TCP'],
  );
  const pending = structuredClone(readPodList().items[0]!);
  delete pending.status.podIP;
  assert.deepEqual(podTargetGroup(pending as unknown as V1Pod).targets, [], 'no IP yet, no targets');
});
