import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { Option, type Command } from 'commander';
import { PodIndex } from '../node-agent/pod-index.js';
import { splitByWorkload, WorkloadResolver } from '../node-agent/workloads.js';
import { cpuOnly } from '../spies/cpu-only.js';
import { startPerfRecording } from '../spies/perf.js';
import { requireProgram } from '../spies/spawn-profiler.js';
import { IngestClient } from '../upload/ingest-client.js';
import { WindowUploader } from '../upload/window-uploader.js';
import { warn } from './exec.js';
import { CLI_DEFAULTS, parseDurationMs, parseTags, positiveInt } from './profile-options.js';

export interface NodeAgentOptions {
  serverAddress: string;
  nodeName: string;
  kubeconfig?: string;
  sampleRate: number;
  uploadInterval: number;
  procRoot: string;
  authToken?: string;
  tenantId?: string;
  tag: Record<string, string>;
}

export const NODE_AGENT_DEFAULTS = { sampleRateHz: 99, uploadIntervalMs: 10_000 } as const;

/**
 * `kiln node-agent`: the DaemonSet mode. Samples every process on the node with perf
 * (`perf record -a -g -F 99`, 10 s windows), attributes each process to its pod and container
 * through /proc/PID/cgroup and the pods the Kubernetes API lists on this node (list and watch),
 * and sends one CPU profile per workload per window, labelled service_name
 * (`<namespace>/<container>`), namespace, pod, container and node. Processes outside pods go to
 * `unspecified`. JIT frames are named where the runtime writes perf maps (Node with
 * --perf-basic-prof, JVMs with perf-map-agent). Runs until SIGINT or SIGTERM.
 */
export async function runNodeAgent(options: NodeAgentOptions): Promise<number> {
  requireProgram('perf');
  let pods: PodIndex | null = null;
  const kubeConfig = kubeConfigFor(options.kubeconfig);
  if (kubeConfig !== null) {
    pods = new PodIndex(kubeConfig, options.nodeName, warn);
    await pods.start();
  } else {
    warn('not in a Kubernetes pod and no --kubeconfig: every process is `unspecified`');
  }
  const resolver = new WorkloadResolver(pods, options.nodeName, options.procRoot);
  const client = new IngestClient({
    serverAddress: options.serverAddress,
    appName: 'unspecified',
    tags: {},
    authToken: options.authToken,
    tenantId: options.tenantId,
  });
  const uploader = new WindowUploader(client, { warn });
  const periodNs = 1e9 / options.sampleRate;
  const session = await startPerfRecording({
    targetArgs: ['-a'],
    sampleRateHz: options.sampleRate,
    intervalMs: options.uploadInterval,
    scriptFields: 'comm,pid,tid,time,period,event,ip,sym,dso',
    onWarning: warn,
    onProfile: (profile, startMs, endMs) => {
      for (const { workload, profile: part } of splitByWorkload(profile, (pid) => resolver.workloadOf(pid)).values()) {
        uploader.push({
          profile: cpuOnly(part, periodNs),
          startMs,
          endMs,
          spyName: 'perf',
          series: { appName: workload.serviceName, tags: { ...options.tag, ...workload.labels } },
        });
      }
    },
  });
  process.stderr.write(
    `kiln: node agent on ${options.nodeName}: sampling every process at ${options.sampleRate} Hz, sending to ${options.serverAddress}\n`,
  );
  let failed = false;
  await Promise.race([
    session.ended.catch((err: unknown) => {
      failed = true;
      warn(`perf stopped: ${err instanceof Error ? err.message : String(err)}`);
    }),
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }),
  ]);
  await session.stop().catch(() => {});
  await pods?.stop();
  await uploader.flush(CLI_DEFAULTS.flushTimeoutMs);
  return failed ? 1 : 0;
}

/** `--kubeconfig`, else the pod's service account (in-cluster), else null (not on Kubernetes). */
function kubeConfigFor(path: string | undefined): KubeConfig | null {
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
    return kc;
  }
  if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return kc;
  }
  return null;
}

export function registerNodeAgent(program: Command): void {
  const env = process.env;
  program
    .command('node-agent')
    .description('profile every process on this node with perf and send one profile per pod container (DaemonSet mode)')
    .addOption(
      new Option('--server, --server-address <url>', 'Kiln or Pyroscope server').default(
        env.KILN_SERVER_ADDRESS ?? env.PYROSCOPE_SERVER_ADDRESS ?? CLI_DEFAULTS.serverAddress,
      ),
    )
    .addOption(
      new Option('--node-name <name>', 'this node, as the pods list it (downward API spec.nodeName)').default(
        env.NODE_NAME ?? hostname(),
      ),
    )
    .addOption(
      new Option('--kubeconfig <file>', 'a kubeconfig instead of the in-cluster service account').default(
        env.KUBECONFIG,
      ),
    )
    .addOption(
      new Option('--sample-rate <hz>', 'samples per second per CPU')
        .argParser(positiveInt('--sample-rate'))
        .default(NODE_AGENT_DEFAULTS.sampleRateHz),
    )
    .addOption(
      new Option('--upload-interval <duration>', 'window length (10s, 1m)')
        .argParser(parseDurationMs)
        .default(NODE_AGENT_DEFAULTS.uploadIntervalMs, '10s'),
    )
    .addOption(
      new Option(
        '--proc-root <dir>',
        "where processes' cgroup files are read (the host's /proc in the DaemonSet)",
      ).default('/proc'),
    )
    .addOption(
      new Option('--tag <key=value>', 'a label on every profile')
        .argParser((v: string, prev: Record<string, string>) => ({ ...prev, ...parseTags(v) }))
        .default({}),
    )
    .addOption(
      new Option('--auth-token <token>', 'sent as Authorization: Bearer').default(
        env.KILN_AUTH_TOKEN ?? env.PYROSCOPE_AUTH_TOKEN,
      ),
    )
    .addOption(
      new Option('--tenant-id <id>', 'sent as X-Scope-OrgID').default(env.KILN_TENANT_ID ?? env.PYROSCOPE_TENANT_ID),
    )
    .action(async (opts: NodeAgentOptions) => {
      process.exitCode = await runNodeAgent(opts);
    });
}
