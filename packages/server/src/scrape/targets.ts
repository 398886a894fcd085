import { relabel, type LabelSet } from './relabel.js';
import { PROFILE_DEFAULTS, PROFILE_NAMES, type ProfileName, type ScrapeConfig } from './scrape-config.js';

/** Targets from one source of a job (a static_config, or one pod), as Prometheus's discovery hands them over. */
export interface TargetGroup {
  /** Identifies the group within its discoverer (`static/0`, `pod/<namespace>/<name>`). */
  source: string;
  /** One label set per target; each has `__address__`. */
  targets: LabelSet[];
  /** Labels every target of the group gets, under its own. */
  labels: LabelSet;
}

/** One profile of one endpoint to scrape, after relabelling. */
export interface ScrapeTarget {
  /** Stable identity across rediscovery: job, profile, URL and labels. */
  key: string;
  job: string;
  profile: ProfileName;
  /** The full URL, with `?seconds=` for CPU. */
  url: string;
  /** Labels of the series written (no `__` labels): service_name, job, instance, ... */
  labels: LabelSet;
  /** The labels before relabelling, as `/api/v1/targets` shows them. */
  discoveredLabels: LabelSet;
  intervalMs: number;
  /** The whole request's budget: scrape_timeout, plus the CPU profile's duration. */
  timeoutMs: number;
  /** Subtract the previous scrape from cumulative sample types (see CUMULATIVE_SAMPLE_TYPES). */
  delta: boolean;
}

export interface DroppedTarget {
  job: string;
  profile: ProfileName;
  discoveredLabels: LabelSet;
}

const POD_META = '__meta_kubernetes_pod_';
const ANNOTATION = `${POD_META}annotation_profiles_grafana_com_`;

/**
 * Expands discovered targets into one ScrapeTarget per enabled profile type, as Alloy's
 * `pyroscope.scrape` does: the job's labels (`job`, `__scheme__`, `__profile_path__`,
 * `__name__`) are set first, Kubernetes pods then go through the `profiles.grafana.com/*`
 * annotations and get `namespace`, `pod`, `container` and `node`, then the job's
 * relabel_configs run. Targets that are dropped, or have no port, are returned as dropped.
 */
export function buildTargets(
  job: ScrapeConfig,
  groups: readonly TargetGroup[],
): { active: ScrapeTarget[]; dropped: DroppedTarget[] } {
  const active = new Map<string, ScrapeTarget>();
  const dropped: DroppedTarget[] = [];
  for (const group of groups) {
    for (const target of group.targets) {
      for (const profile of PROFILE_NAMES) {
        const settings = job.profilingConfig[profile];
        if (!settings.enabled) continue;
        const discovered: LabelSet = {
          job: job.jobName,
          ...group.labels,
          ...target,
          __scheme__: job.scheme,
          __profile_path__: settings.path,
          __name__: profile,
        };
        let labels: LabelSet | null = discovered;
        if (discovered[`${POD_META}name`] !== undefined) labels = applyPodAnnotations(labels, profile);
        if (labels !== null) labels = relabel(labels, job.relabelConfigs);
        const built = labels === null ? null : toTarget(job, profile, settings.delta, labels, discovered);
        if (built === null) {
          // Pods without this profile's annotations are the common case, not worth listing.
          if (labels !== null || discovered[`${POD_META}name`] === undefined || isAnnotated(discovered, profile)) {
            dropped.push({ job: job.jobName, profile, discoveredLabels: discovered });
          }
          continue;
        }
        if (!active.has(built.key)) active.set(built.key, built);
      }
    }
  }
  return { active: [...active.values()], dropped };
}

function isAnnotated(labels: LabelSet, profile: ProfileName): boolean {
  return labels[`${ANNOTATION}${PROFILE_DEFAULTS[profile].annotation}_scrape`] === 'true';
}

/**
 * Grafana's pod annotations for one profile type (`cpu` stands for process_cpu):
 * `<type>.scrape: "true"` opts in; `<type>.port_name` picks the container port by name, else
 * `<type>.port` sets the port, else ports named `http2` or ending in `-metrics`/`-profiles`
 * are scraped; `<type>.scheme` and `<type>.path` override the job's.
 */
function applyPodAnnotations(labels: LabelSet, profile: ProfileName): LabelSet | null {
  const prefix = `${ANNOTATION}${PROFILE_DEFAULTS[profile].annotation}_`;
  if (labels[`${prefix}scrape`] !== 'true') return null;
  const out: LabelSet = { ...labels };
  const portName = labels[`${prefix}port_name`] ?? '';
  const port = labels[`${prefix}port`] ?? '';
  const containerPortName = labels[`${POD_META}container_port_name`] ?? '';
  if (portName !== '') {
    if (containerPortName !== portName) return null;
  } else if (/^\d{1,5}$/.test(port)) {
    out.__address__ = `${hostOf(labels.__address__ ?? '')}:${port}`;
  } else if (!/^(http2|.*-metrics|.*-profiles)$/.test(containerPortName)) {
    return null;
  }
  const scheme = labels[`${prefix}scheme`] ?? '';
  if (scheme === 'http' || scheme === 'https') out.__scheme__ = scheme;
  const path = labels[`${prefix}path`] ?? '';
  if (path !== '') out.__profile_path__ = path;
  // Pyroscope's Kubernetes labels, unless the pod already has labels of these names.
  out.namespace ??= labels.__meta_kubernetes_namespace ?? '';
  out.pod ??= labels[`${POD_META}name`] ?? '';
  out.container ??= labels[`${POD_META}container_name`] ?? '';
  out.node ??= labels[`${POD_META}node_name`] ?? '';
  for (const k of ['namespace', 'pod', 'container', 'node']) if (out[k] === '') delete out[k];
  return out;
}

function hostOf(address: string): string {
  const m = /^(.*?)(?::\d+)?$/.exec(address);
  return m ? m[1]! : address;
}

/** service_name as Alloy infers it when relabelling left none. */
function serviceNameOf(labels: LabelSet, job: string): string {
  const annotated =
    labels[`${ANNOTATION}service_name`] ??
    labels[`${POD_META}annotation_pyroscope_io_service_name`] ??
    labels[`${POD_META}annotation_resource_opentelemetry_io_service_name`];
  if (annotated) return annotated;
  const ns = labels.__meta_kubernetes_namespace;
  const container = labels[`${POD_META}container_name`];
  if (ns && container) return `${ns}/${container}`;
  return job;
}

function toTarget(
  job: ScrapeConfig,
  profile: ProfileName,
  delta: boolean,
  labels: LabelSet,
  discovered: LabelSet,
): ScrapeTarget | null {
  const address = labels.__address__ ?? '';
  if (!/^(\[[0-9a-fA-F:.]+\]|[^/\s:[\]]+):\d{1,5}$/.test(address)) return null;
  const scheme = labels.__scheme__ === 'https' ? 'https' : 'http';
  const path = labels.__profile_path__ || PROFILE_DEFAULTS[profile].path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(labels)) if (k.startsWith('__param_')) params.set(k.slice(8), v);
  let timeoutMs = job.scrapeTimeoutMs;
  if (profile === 'process_cpu' && delta) {
    const seconds = Math.max(1, Math.floor(job.scrapeIntervalMs / 1000) - 1);
    params.set('seconds', String(seconds));
    timeoutMs += seconds * 1000;
  }
  const query = params.toString();
  const url = `${scheme}://${address}${path.startsWith('/') ? path : `/${path}`}${query === '' ? '' : `?${query}`}`;
  const out: LabelSet = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('__') && v !== '') out[k] = v;
  out.instance ??= address;
  out.job ??= job.jobName;
  out.service_name ??= serviceNameOf(labels, job.jobName);
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    key: JSON.stringify([job.jobName, profile, url, sorted]),
    job: job.jobName,
    profile,
    url,
    labels: sorted,
    discoveredLabels: discovered,
    intervalMs: job.scrapeIntervalMs,
    timeoutMs,
    delta,
  };
}

/** The static_configs of a job as target groups. */
export function staticTargetGroups(job: ScrapeConfig): TargetGroup[] {
  return job.staticConfigs.map((s, i) => ({
    source: `static/${i}`,
    targets: s.targets.map((address) => ({ __address__: address })),
    labels: s.labels,
  }));
}
