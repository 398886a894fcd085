import { CoreV1Api, KubeConfig, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import type { KilnError } from '@kiln/model';
import { scrapeError } from './errors.js';
import type { LabelSet } from './relabel.js';
import type { KubernetesSdConfig } from './scrape-config.js';
import type { TargetGroup } from './targets.js';

export interface KubernetesDiscoveryOptions {
  /** Called with every pod's target group after a change (coalesced over `settleMs`). */
  onUpdate: (groups: TargetGroup[]) => void;
  /** A list or watch failed (ERR_SCRAPE_DISCOVERY); discovery retries after `retryMs`. Null: all namespaces. */
  onError: (err: KilnError, namespace: string | null) => void;
  /** A list of `namespace`'s pods succeeded (its discovery works again after an error). */
  onListed?: (namespace: string | null) => void;
  retryMs: number;
  settleMs: number;
}

/**
 * Pod discovery through the official client's informer: one list, then a watch from its
 * resourceVersion (re-listing only when the API server says 410 Gone), so changes arrive as
 * they happen instead of by polling. Each pod becomes one target group, as Prometheus's `role:
 * pod` makes it: one target per container port (one per container without ports), with its
 * `__meta_kubernetes_*` labels. Pods that have finished (Succeeded, Failed) or have no IP
 * yet have no targets.
 */
export class KubernetesDiscovery {
  private readonly informers: Informer<V1Pod>[] = [];
  private readonly groups = new Map<string, TargetGroup>();
  private settle: NodeJS.Timeout | null = null;
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly config: KubernetesSdConfig,
    private readonly options: KubernetesDiscoveryOptions,
  ) {}

  /** Connects and starts list-and-watch; throws ERR_SCRAPE_DISCOVERY when there is no cluster to talk to. */
  async start(): Promise<void> {
    const kc = new KubeConfig();
    try {
      if (this.config.kubeconfigFile !== '') kc.loadFromFile(this.config.kubeconfigFile);
      else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
      else throw new Error('not running in a Kubernetes pod (no KUBERNETES_SERVICE_HOST) and no kubeconfig_file given');
    } catch (err) {
      throw scrapeError('ERR_SCRAPE_DISCOVERY', `cannot load the Kubernetes config: ${(err as Error).message}`);
    }
    const api = kc.makeApiClient(CoreV1Api);
    const namespaces = this.config.namespaces.length === 0 ? [null] : this.config.namespaces;
    for (const namespace of namespaces) {
      const informer =
        namespace === null
          ? makeInformer(kc, '/api/v1/pods', () => this.listed(null, api.listPodForAllNamespaces()))
          : makeInformer(kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, () =>
              this.listed(namespace, api.listNamespacedPod({ namespace })),
            );
      const put = (pod: V1Pod): void => {
        this.groups.set(podKey(pod), podTargetGroup(pod));
        this.changed();
      };
      informer.on('add', put);
      informer.on('update', put);
      informer.on('delete', (pod) => {
        this.groups.delete(podKey(pod));
        this.changed();
      });
      informer.on('error', (err: unknown) => {
        if (this.stopped) return;
        const e = err as { statusCode?: number; code?: number };
        const status = e.statusCode ?? e.code;
        this.options.onError(
          scrapeError(
            'ERR_SCRAPE_DISCOVERY',
            `listing or watching pods${namespace === null ? '' : ` in ${namespace}`} failed${status ? ` (HTTP ${status})` : ''}: ${reasonOf(err)}; retrying in ${this.options.retryMs} ms`,
          ),
          namespace,
        );
        // The informer stops on errors; it keeps its cache, so targets stay until the next list.
        const t = setTimeout(() => {
          this.retries.delete(t);
          if (!this.stopped) informer.start().catch(() => undefined);
        }, this.options.retryMs);
        this.retries.add(t);
      });
      this.informers.push(informer);
      // A failed first list reaches the error handler above, which retries.
      await informer.start().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.settle) clearTimeout(this.settle);
    for (const t of this.retries) clearTimeout(t);
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** Passes a list through, telling `onListed` when it succeeded. */
  private async listed<T>(namespace: string | null, list: Promise<T>): Promise<T> {
    const result = await list;
    if (!this.stopped) this.options.onListed?.(namespace);
    return result;
  }

  private changed(): void {
    if (this.stopped || this.settle) return;
    // One update for a burst of events (the initial list adds every pod one by one).
    this.settle = setTimeout(() => {
      this.settle = null;
      if (!this.stopped) this.options.onUpdate([...this.groups.values()]);
    }, this.options.settleMs);
  }
}

function podKey(pod: V1Pod): string {
  return `pod/${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** Label names as Prometheus writes Kubernetes label and annotation keys: every other character becomes `_`. */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** A pod as Prometheus's `role: pod` discovery describes it (the `__meta_kubernetes_pod_*` labels). */
export function podTargetGroup(pod: V1Pod): TargetGroup {
  const meta = pod.metadata ?? {};
  const status = pod.status ?? {};
  const source = podKey(pod);
  const podIp = status.podIP ?? '';
  if (podIp === '' || status.phase === 'Succeeded' || status.phase === 'Failed') {
    return { source, targets: [], labels: {} };
  }
  const labels: LabelSet = {
    __meta_kubernetes_namespace: meta.namespace ?? '',
    __meta_kubernetes_pod_name: meta.name ?? '',
    __meta_kubernetes_pod_ip: podIp,
    __meta_kubernetes_pod_node_name: pod.spec?.nodeName ?? '',
    __meta_kubernetes_pod_host_ip: status.hostIP ?? '',
    __meta_kubernetes_pod_uid: meta.uid ?? '',
    __meta_kubernetes_pod_phase: status.phase ?? '',
    __meta_kubernetes_pod_ready: String(
      status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    ),
  };
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    labels[`__meta_kubernetes_pod_label_${sanitize(k)}`] = v;
    labels[`__meta_kubernetes_pod_labelpresent_${sanitize(k)}`] = 'true';
  }
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    labels[`__meta_kubernetes_pod_annotation_${sanitize(k)}`] = v;
    labels[`__meta_kubernetes_pod_annotationpresent_${sanitize(k)}`] = 'true';
  }
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) {
    labels.__meta_kubernetes_pod_controller_kind = owner.kind;
    labels.__meta_kubernetes_pod_controller_name = owner.name;
  }
  const targets: LabelSet[] = [];
  const containers = [
    ...(pod.spec?.containers ?? []).map((c) => ({ c, init: false })),
    ...(pod.spec?.initContainers ?? []).map((c) => ({ c, init: true })),
  ];
  for (const { c, init } of containers) {
    const base: LabelSet = {
      __meta_kubernetes_pod_container_name: c.name,
      __meta_kubernetes_pod_container_image: c.image ?? '',
      __meta_kubernetes_pod_container_init: String(init),
    };
    const ports = c.ports ?? [];
    if (ports.length === 0) targets.push({ ...base, __address__: podIp });
    for (const p of ports) {
      targets.push({
        ...base,
        __address__: `${podIp.includes(':') ? `[${podIp}]` : podIp}:${p.containerPort}`,
        __meta_kubernetes_pod_container_port_name: p.name ?? '',
        __meta_kubernetes_pod_container_port_number: String(p.containerPort),
        __meta_kubernetes_pod_container_port_protocol: p.protocol ?? 'TCP',
      });
    }
  }
  return { source, targets, labels };
}

/**
 * What went wrong, in the API server's words: the `message` of the Status object a failed request
 * answers with (`pods is forbidden: User "system:serviceaccount:…" cannot list …`), else the
 * error's own message without the response headers @kubernetes/client-node appends.
 */
function reasonOf(err: unknown): string {
  const e = err as { message?: unknown; body?: unknown };
  if (typeof e.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: unknown };
      if (typeof status.message === 'string' && status.message !== '') return status.message;
    } catch {
      // Not a Status object: fall through to the message.
    }
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  return message.replace(/\s*Headers: \{[\s\S]*$/, '').replace(/\s+/g, ' ');
}
