import { readFileSync } from 'node:fs';
import type { Profile } from '@kiln/model';
import { parseCgroup } from './cgroup.js';
import type { PodIndex } from './pod-index.js';

/** The series a workload's samples go to. */
export interface Workload {
  /** `service_name`: `<namespace>/<container>` as Pyroscope names pod targets; `unspecified` off Kubernetes. */
  readonly serviceName: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Maps each process to its workload through /proc/PID/cgroup and the pods on the node. */
export class WorkloadResolver {
  constructor(
    private readonly pods: PodIndex | null,
    private readonly nodeName: string,
    private readonly procRoot = '/proc',
  ) {}

  /** Null for a process that is gone (its samples stay unattributed) or not in a known pod. */
  workloadOf(pid: number): Workload {
    let text = '';
    try {
      text = readFileSync(`${this.procRoot}/${pid}/cgroup`, 'utf8');
    } catch {
      // the process ended before its window was read
    }
    const ref = parseCgroup(text);
    const pod = ref.podUid === null ? undefined : this.pods?.pod(ref.podUid);
    if (pod === undefined) {
      return { serviceName: 'unspecified', labels: { node: this.nodeName } };
    }
    const container = (ref.containerId !== null ? pod.containers.get(ref.containerId) : undefined) ?? 'unknown';
    return {
      serviceName: `${pod.namespace}/${container}`,
      labels: { namespace: pod.namespace, pod: pod.name, container, node: this.nodeName },
    };
  }
}

/**
 * Splits a system-wide perf profile by process (its samples' `pid` label) into one profile per
 * workload, labels dropped. Samples without a pid (kernel idle) are left out.
 */
export function splitByWorkload(
  profile: Profile,
  workloadOf: (pid: number) => Workload,
): Map<string, { workload: Workload; profile: Profile }> {
  const pidOfSet = profile.samples.labelSets.map((set) => {
    const label = set.find((l) => l.key === 'pid');
    const pid = Number(label?.str);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  });
  const byPid = new Map<number, Workload>();
  const groups = new Map<string, { workload: Workload; samples: number[] }>();
  const { samples } = profile;
  for (let i = 0; i < samples.length; i++) {
    const pid = pidOfSet[samples.labelSet[i]!];
    if (pid === null || pid === undefined) continue;
    let workload = byPid.get(pid);
    if (workload === undefined) byPid.set(pid, (workload = workloadOf(pid)));
    const key = `${workload.serviceName}\u0000${JSON.stringify(workload.labels)}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { workload, samples: [] }));
    group.samples.push(i);
  }
  const out = new Map<string, { workload: Workload; profile: Profile }>();
  for (const [key, group] of groups)
    out.set(key, { workload: group.workload, profile: selectSamples(profile, group.samples) });
  return out;
}

/** A profile with only the given samples (tables shared), every sample in label set 0. */
function selectSamples(profile: Profile, indices: readonly number[]): Profile {
  const stride = profile.sampleTypes.length;
  const src = profile.samples;
  let stackLength = 0;
  for (const i of indices) stackLength += src.stackStart[i + 1]! - src.stackStart[i]!;
  const stackStart = new Uint32Array(indices.length + 1);
  const stack = new Uint32Array(stackLength);
  const values = new Float64Array(indices.length * stride);
  let at = 0;
  indices.forEach((i, n) => {
    const from = src.stackStart[i]!;
    const to = src.stackStart[i + 1]!;
    stack.set(src.stack.subarray(from, to), at);
    at += to - from;
    stackStart[n + 1] = at;
    values.set(src.values.subarray(i * stride, (i + 1) * stride), n * stride);
  });
  return {
    ...profile,
    samples: {
      length: indices.length,
      stackStart,
      stack,
      values,
      labelSet: new Uint32Array(indices.length),
      labelSets: [[]],
    },
  };
}
