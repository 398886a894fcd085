import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isKilnError } from '@kiln/model';
import type { ActiveTargetJson, DiscoveryErrorJson } from '../http/targets-routes.js';
import { startTestServer, type TestServer } from '../test-helpers/server.js';
import { parseScrapeConfigs } from './scrape-config.js';
import { startGoPprofServer, type GoPprofServer } from './test-helpers/go-pprof-server.js';
import {
  readPodList,
  readWatchEvents,
  startKubeApiStandIn,
  type KubeApiStandIn,
} from './test-helpers/kube-api-stand-in.js';
import { renderFolded, waitForTargets } from './test-helpers/scrape-probe.js';

// Kubernetes pod discovery through @kubernetes/client-node against a stand-in API server that
// replays recorded list and watch responses (testdata/scrape/kubernetes, see its README).

function kubernetesJob(kubeconfig: string, interval: string, extra: Record<string, unknown> = {}): unknown {
  return {
    job_name: 'kubernetes-pods',
    scrape_interval: interval,
    kubernetes_sd_configs: [{ role: 'pod', kubeconfig_file: kubeconfig }],
    relabel_configs: [
      { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], target_label: 'app' },
      { source_labels: ['namespace'], regex: 'kube-system', action: 'drop' },
    ],
    ...extra,
  };
}

/** `profile address` of each target, sorted: what changes as pods come and go. */
function shape(targets: ActiveTargetJson[]): string[] {
  return targets.map((t) => `${t.labels.__name__} ${t.labels.pod} ${t.labels.instance}`).sort();
}

describe('kubernetes_sd_configs: list and watch', () => {
  let api: KubeApiStandIn;
  let kiln: TestServer;

  before(async () => {
    api = await startKubeApiStandIn();
    // An hour between scrapes: this test is about discovery, the fixture's pod IPs are not reachable.
    kiln = await startTestServer({
      scrapeConfigs: parseScrapeConfigs([kubernetesJob(api.kubeconfig, '1h')], 'test: scrape_configs'),
    });
  });
  after(async () => {
    await kiln?.stop();
    await api?.stop();
  });

  test('annotated pods become relabelled targets; watch events add, move and remove them', async () => {
    const initial = [
      'goroutine checkout-7d9f8b6c5-x2x9q 10.244.1.17:6060',
      'memory payments-6b7c9d8f5-h4k2s 10.244.2.9:6061',
      'process_cpu checkout-7d9f8b6c5-x2x9q 10.244.1.17:6060',
    ];
    const targets = await waitForTargets(kiln.url, (ts) => shape(ts).join() === initial.join());
    const cpu = targets.find((t) => t.labels.__name__ === 'process_cpu')!;
    assert.deepEqual(cpu.labels, {
      __name__: 'process_cpu',
      app: 'checkout',
      container: 'checkout',
      instance: '10.244.1.17:6060',
      job: 'kubernetes-pods',
      namespace: 'shop',
      node: 'worker-1',
      pod: 'checkout-7d9f8b6c5-x2x9q',
      service_name: 'shop/checkout',
    });
    assert.equal(cpu.scrapeUrl, 'http://10.244.1.17:6060/debug/pprof/profile?seconds=3599');
    assert.equal(cpu.discoveredLabels.__meta_kubernetes_pod_container_port_name, 'http-metrics');
    assert.equal(
      cpu.discoveredLabels.__meta_kubernetes_pod_annotation_profiles_grafana_com_cpu_port_name,
      'http-metrics',
    );
    assert.equal(cpu.discoveredLabels.__meta_kubernetes_pod_controller_kind, 'ReplicaSet');
    const memory = targets.find((t) => t.labels.__name__ === 'memory')!;
    assert.equal(memory.labels.service_name, 'payments-api', 'profiles.grafana.com/service_name names the service');
    assert.equal(memory.scrapeUrl, 'http://10.244.2.9:6061/debug/pprof/allocs');

    const [pending, running, checkoutMoved, paymentsUnannotated, searchDeleted] = readWatchEvents();
    api.emit(pending!);
    api.emit(running!);
    const withSearch = [...initial, 'process_cpu search-84b5d6c7f9-zt6nd 10.244.1.23:7070'].sort();
    await waitForTargets(kiln.url, (ts) => shape(ts).join() === withSearch.join());

    api.emit(checkoutMoved!);
    const moved = withSearch.map((s) => s.replace('10.244.1.17:6060', '10.244.1.17:6070')).sort();
    await waitForTargets(kiln.url, (ts) => shape(ts).join() === moved.join());

    api.emit(paymentsUnannotated!);
    const noPayments = moved.filter((s) => !s.includes('payments'));
    await waitForTargets(kiln.url, (ts) => shape(ts).join() === noPayments.join());

    api.emit(searchDeleted!);
    const noSearch = noPayments.filter((s) => !s.includes('search'));
    await waitForTargets(kiln.url, (ts) => shape(ts).join() === noSearch.join());

    // One list, then one watch from its resourceVersion: changes were pushed, not polled.
    const lists = api.requests.filter((r) => r.startsWith('GET /api/v1/pods') && !r.includes('watch=true'));
    const watches = api.requests.filter((r) => r.includes('watch=true'));
    assert.equal(lists.length, 1, api.requests.join('\n'));
    assert.equal(watches.length, 1, api.requests.join('\n'));
    assert.match(watches[0]!, /resourceVersion=1000/);
  });
});

describe('kubernetes_sd_configs: pods served by a real Go program', () => {
  let go: GoPprofServer;
  let api: KubeApiStandIn;
  let kiln: TestServer;

  before(async () => {
    go = await startGoPprofServer();
    // The recorded pods, with the checkout and payments pods' addresses pointing at the Go program.
    const list = readPodList();
    for (const pod of list.items) {
      if (pod.metadata.name.startsWith('checkout')) {
        pod.status.podIP = '127.0.0.1';
        pod.spec.containers[0]!.ports!.find((p) => p.name === 'http-metrics')!.containerPort = go.port;
      }
      if (pod.metadata.name.startsWith('payments')) {
        pod.status.podIP = '127.0.0.1';
        pod.metadata.annotations!['profiles.grafana.com/memory.port'] = String(go.port);
      }
    }
    api = await startKubeApiStandIn(list);
    kiln = await startTestServer({
      scrapeConfigs: parseScrapeConfigs([kubernetesJob(api.kubeconfig, '2s')], 'test: scrape_configs'),
    });
  });
  after(async () => {
    await kiln?.stop();
    await api?.stop();
    await go?.stop();
  });

  test('their profiles are queryable by namespace, pod, container and service_name; deleting the pod stops it', async () => {
    await waitForTargets(kiln.url, (ts) => ts.length === 3 && ts.every((t) => t.health === 'up'));
    const selector =
      '{namespace="shop",pod="checkout-7d9f8b6c5-x2x9q",container="checkout",service_name="shop/checkout",node="worker-1"}';
    assert.match(
      await renderFolded(kiln.url, `process_cpu:cpu:nanoseconds:cpu:nanoseconds${selector}`),
      /main\.kilnScrapeHotLoop \d+/,
    );
    assert.match(await renderFolded(kiln.url, `goroutine:goroutine:count:goroutine:count${selector}`), /main\.main/);
    assert.match(
      await renderFolded(
        kiln.url,
        `memory:inuse_space:bytes:space:bytes{service_name="payments-api",pod="payments-6b7c9d8f5-h4k2s"}`,
      ),
      /main\.kilnScrapeAllocate/,
    );
    const deleted = readWatchEvents()[4]!;
    const checkout = readPodList().items.find((p) => p.metadata.name.startsWith('checkout'))!;
    api.emit({
      type: 'DELETED',
      object: {
        ...checkout,
        metadata: { ...checkout.metadata, resourceVersion: deleted.object.metadata.resourceVersion },
      },
    });
    await waitForTargets(kiln.url, (ts) => ts.length === 1 && ts[0]!.labels.__name__ === 'memory');
  });
});

type TargetsData = { activeTargets: ActiveTargetJson[]; discoveryErrors: DiscoveryErrorJson[] };

/** `GET /api/v1/targets`' data. */
async function targetsOf(url: string): Promise<TargetsData> {
  return ((await (await fetch(`${url}/api/v1/targets`)).json()) as { data: TargetsData }).data;
}

/** The job's one discovery error, its message matching `pattern`. */
function assertOneDiscoveryError(data: TargetsData, pattern: RegExp): void {
  assert.deepEqual(
    data.discoveryErrors.map((e) => e.scrapePool),
    ['kubernetes-pods'],
  );
  assert.match(data.discoveryErrors[0]!.lastError, pattern);
}

/** A server whose one pod job lists the pods of shop and kube-system, retrying every 100 ms. */
async function startTwoNamespaceServer(api: {
  kubeconfig: string;
}): Promise<Awaited<ReturnType<typeof startTestServer>>> {
  const job = kubernetesJob(api.kubeconfig, '1h');
  (job as { kubernetes_sd_configs: object[] }).kubernetes_sd_configs = [
    { role: 'pod', kubeconfig_file: api.kubeconfig, namespaces: { names: ['shop', 'kube-system'] } },
  ];
  return startTestServer({
    scrapeDiscoveryRetryMs: 100,
    scrapeConfigs: parseScrapeConfigs([job], 'test: scrape_configs'),
  });
}

describe('kubernetes_sd_configs: failures', () => {
  test('a failing list is retried after scrape_discovery_retry_ms; the server serves meanwhile', async () => {
    const api = await startKubeApiStandIn();
    api.failLists(2);
    const kiln = await startTestServer({
      scrapeDiscoveryRetryMs: 300,
      scrapeConfigs: parseScrapeConfigs([kubernetesJob(api.kubeconfig, '1h')], 'test: scrape_configs'),
    });
    try {
      assert.equal((await fetch(`${kiln.url}/ready`)).status, 200);
      await waitForTargets(kiln.url, (ts) => ts.length === 3, 10_000);
      const lists = api.requests.filter((r) => !r.includes('watch=true'));
      assert.equal(lists.length, 3, 'two failed lists, then one that worked');
    } finally {
      await kiln.stop();
      await api.stop();
    }
  });

  test('while discovery fails, GET /api/v1/targets names the job and the error; a list that works clears it', async () => {
    const api = await startKubeApiStandIn();
    api.failLists(1_000_000);
    const kiln = await startTestServer({
      scrapeDiscoveryRetryMs: 200,
      scrapeConfigs: parseScrapeConfigs([kubernetesJob(api.kubeconfig, '1h')], 'test: scrape_configs'),
    });
    const targets = (): Promise<TargetsData> => targetsOf(kiln.url);
    try {
      const failing = await targets();
      assertOneDiscoveryError(
        failing,
        /^ERR_SCRAPE_DISCOVERY: listing or watching pods failed \(HTTP 500\): etcdserver: request timed out; retrying in 200 ms$/,
      );
      assert.ok(Math.abs(Date.parse(failing.discoveryErrors[0]!.lastErrorTime) - Date.now()) < 60_000);
      assert.equal(failing.activeTargets.length, 0);
      api.failLists(0);
      await waitForTargets(kiln.url, (ts) => ts.length === 3, 10_000);
      assert.deepEqual((await targets()).discoveryErrors, []);
    } finally {
      await kiln.stop();
      await api.stop();
    }
  });

  test("a namespace whose pods may not be listed is named in the job's error while another namespace's targets are found; a list that works clears it", async () => {
    const api = await startKubeApiStandIn();
    api.forbidNamespace('kube-system', true);
    const kiln = await startTwoNamespaceServer(api);
    const targets = (): Promise<TargetsData> => targetsOf(kiln.url);
    try {
      // shop's pods are found while kube-system's list keeps failing (and being retried).
      await waitForTargets(kiln.url, (ts) => ts.length === 3, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(
        api.requests.filter((r) => r.includes('/namespaces/kube-system/pods') && !r.includes('watch=true')).length >= 3,
        'retried',
      );
      const failing = await targets();
      assertOneDiscoveryError(
        failing,
        /^ERR_SCRAPE_DISCOVERY: listing or watching pods in kube-system failed \(HTTP 403\): pods is forbidden: .* in the namespace "kube-system"; retrying in 100 ms$/,
      );
      api.forbidNamespace('kube-system', false);
      const deadline = Date.now() + 10_000;
      while ((await targets()).discoveryErrors.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual((await targets()).discoveryErrors, []);
    } finally {
      await kiln.stop();
      await api.stop();
    }
  });

  test('two failing namespaces are two errors; one whose list starts working clears its own only', async () => {
    const api = await startKubeApiStandIn();
    api.forbidNamespace('shop', true);
    api.forbidNamespace('kube-system', true);
    const kiln = await startTwoNamespaceServer(api);
    const failingNamespaces = async (): Promise<string[]> =>
      (await targetsOf(kiln.url)).discoveryErrors
        .map((e) => {
          assert.equal(e.scrapePool, 'kubernetes-pods');
          return /pods in (\S+) failed \(HTTP 403\)/.exec(e.lastError)?.[1] ?? e.lastError;
        })
        .sort();
    const waitFor = async (expected: string[]): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (JSON.stringify(await failingNamespaces()) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(await failingNamespaces(), expected);
    };
    try {
      await waitFor(['kube-system', 'shop']);
      // shop's list works from now on; kube-system's, retried every 100 ms, still fails.
      api.forbidNamespace('shop', false);
      await waitForTargets(kiln.url, (ts) => ts.length === 3, 10_000);
      await waitFor(['kube-system']);
      // Several of kube-system's retries later, its error is still there (shop's success did not clear it).
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(await failingNamespaces(), ['kube-system']);
      api.forbidNamespace('kube-system', false);
      await waitFor([]);
    } finally {
      await kiln.stop();
      await api.stop();
    }
  });

  test('a kubeconfig_file that does not exist stops the server at start with ERR_SCRAPE_DISCOVERY', async () => {
    await assert.rejects(
      startTestServer({
        scrapeConfigs: parseScrapeConfigs([kubernetesJob('/nonexistent/kubeconfig', '15s')], 'test: scrape_configs'),
      }),
      (err) => isKilnError(err, 'ERR_SCRAPE_DISCOVERY') && /nonexistent\/kubeconfig/.test(err.message),
    );
  });
});
