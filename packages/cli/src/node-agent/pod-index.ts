import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

/** Wait before listing and watching again after the API server failed a list or a watch. */
export const POD_WATCH_RETRY_MS = 5_000;

/** What the node agent labels a workload's profiles with. */
export interface PodInfo {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** Container name by runtime id (the 64 hex digits of `containerd://…`, `docker://…`). */
  readonly containers: ReadonlyMap<string, string>;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The pods scheduled on one node, kept current by the Kubernetes API's list and watch
 * (`@kubernetes/client-node`'s ListWatch with `fieldSelector=spec.nodeName=NODE`), not polling.
 */
export class PodIndex {
  private readonly byUid = new Map<string, PodInfo>();
  private listWatch: ListWatch<V1Pod> | null = null;
  private stopped = false;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly nodeName: string,
    private readonly onError: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    const api = this.kubeConfig.makeApiClient(CoreV1Api);
    const fieldSelector = `spec.nodeName=${this.nodeName}`;
    const listWatch = new ListWatch<V1Pod>(
      '/api/v1/pods',
      new Watch(this.kubeConfig),
      () => api.listPodForAllNamespaces({ fieldSelector }),
      false,
      undefined,
      fieldSelector,
    );
    const put = (pod: V1Pod): void => {
      const info = podInfo(pod);
      if (info !== null) this.byUid.set(info.uid, info);
    };
    listWatch.on('add', put);
    listWatch.on('update', put);
    listWatch.on('delete', (pod) => {
      if (pod.metadata?.uid) this.byUid.delete(pod.metadata.uid);
    });
    listWatch.on('error', (err: unknown) => {
      if (this.stopped) return;
      this.onError(`pod watch: ${err instanceof Error ? err.message : String(err)}; retrying`);
      setTimeout(() => {
        if (!this.stopped) void listWatch.start().catch(() => {});
      }, POD_WATCH_RETRY_MS).unref();
    });
    this.listWatch = listWatch;
    await listWatch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.listWatch?.stop();
  }

  pod(uid: string): PodInfo | undefined {
    return this.byUid.get(uid);
  }

  get size(): number {
    return this.byUid.size;
  }
}

/** A pod as the index keeps it; null for objects without a UID. */
export function podInfo(pod: V1Pod): PodInfo | null {
  const uid = pod.metadata?.uid;
  if (!uid) return null;
  const containers = new Map<string, string>();
  for (const status of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const id = status.containerID?.replace(/^[a-z-]+:\/\//, '');
    if (id) containers.set(id, status.name);
  }
  return {
    uid,
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? uid,
    containers,
    labels: pod.metadata?.labels ?? {},
  };
}
