/** The pod and container a process runs in, as its cgroup path names them. */
export interface ContainerRef {
  /** The pod's UID with dashes (`0f6c...-...`); null outside a pod. */
  readonly podUid: string | null;
  /** The container runtime's 64-hex id; null when the path names none. */
  readonly containerId: string | null;
}

const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;
const CONTAINER_ID = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$/;

/**
 * Reads /proc/PID/cgroup (v1 or v2 lines `id:controllers:path`) for the kubelet's layout,
 * whichever cgroup driver made it:
 *
 * - cgroupfs: `/kubepods/burstable/pod0f6c1b2a-.../3f1e...(64 hex)`
 * - systemd: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f6c1b2a_....slice/cri-containerd-3f1e....scope`
 *   (also `docker-…`, `crio-…`)
 *
 * The first line that names a pod wins; a process outside Kubernetes gets nulls.
 */
export function parseCgroup(text: string): ContainerRef {
  for (const line of text.split('\n')) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1).trim();
    const pod = POD_UID.exec(path);
    if (pod === null) continue;
    const container = CONTAINER_ID.exec(path);
    return { podUid: pod[1]!.replace(/_/g, '-'), containerId: container?.[1] ?? null };
  }
  return { podUid: null, containerId: null };
}
