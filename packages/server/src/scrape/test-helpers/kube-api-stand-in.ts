import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testdata } from '../../test-helpers/testdata.js';
import { startHttp } from './scrape-probe.js';

/** A pod as the fixtures hold it (the JSON of `kubectl get pods -o json` items). */
export interface PodJson {
  metadata: { name: string; namespace: string; resourceVersion: string; annotations?: Record<string, string> };
  spec: { containers: { name: string; ports?: { containerPort: number; name?: string }[] }[] };
  status: { podIP?: string; phase?: string };
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: PodJson;
}

export interface KubeApiStandIn {
  /** A kubeconfig file whose current context points at the stand-in. */
  kubeconfig: string;
  /** Requests seen, as `GET /api/v1/pods?watch=true&resourceVersion=1000`. */
  requests: string[];
  /** Sends an event to every open watch (and applies it to what a later list returns). */
  emit(event: WatchEvent): void;
  /** Makes the next `n` list requests fail with HTTP 500. */
  failLists(n: number): void;
  /** Refuses (HTTP 403, as RBAC does) or allows again every list of `namespace`'s pods. */
  forbidNamespace(namespace: string, forbidden: boolean): void;
  stop(): Promise<void>;
}

/** The recorded pod list (testdata/scrape/kubernetes/pods-list.json). */
export function readPodList(): { metadata: { resourceVersion: string }; items: PodJson[] } {
  return JSON.parse(readFileSync(testdata('scrape', 'kubernetes', 'pods-list.json'), 'utf8'));
}

/** The recorded watch events (testdata/scrape/kubernetes/watch-events.json). */
export function readWatchEvents(): WatchEvent[] {
  return JSON.parse(readFileSync(testdata('scrape', 'kubernetes', 'watch-events.json'), 'utf8'));
}

/**
 * A stand-in for the Kubernetes API server's pod endpoints, enough for client-node's informer:
 * `GET /api/v1/pods` and `/api/v1/namespaces/<ns>/pods` answer a PodList with a
 * resourceVersion; with `?watch=true` they hold the response open and stream watch events,
 * one JSON object per line, as the API server does.
 */
export async function startKubeApiStandIn(list = readPodList()): Promise<KubeApiStandIn> {
  const pods = new Map(list.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  let resourceVersion = list.metadata.resourceVersion;
  const watches = new Set<{ res: ServerResponse; namespace: string | null }>();
  const requests: string[] = [];
  let failing = 0;
  const forbidden = new Set<string>();
  const http = await startHttp((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    const namespace = m[1] ? decodeURIComponent(m[1]) : null;
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const w = { res, namespace };
      watches.add(w);
      res.on('close', () => watches.delete(w));
      return;
    }
    if (failing > 0) {
      failing--;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'etcdserver: request timed out',
          code: 500,
        }),
      );
      return;
    }
    if (namespace !== null && forbidden.has(namespace)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: `pods is forbidden: User "system:serviceaccount:kiln:kiln" cannot list resource "pods" in API group "" in the namespace "${namespace}"`,
          reason: 'Forbidden',
          code: 403,
        }),
      );
      return;
    }
    const items = [...pods.values()].filter((p) => namespace === null || p.metadata.namespace === namespace);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion }, items }));
  });
  const dir = mkdtempSync(join(tmpdir(), 'kiln-kubeconfig-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  // client-node refuses a plain-http server unless the cluster skips TLS verification.
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: stand-in`,
      `  cluster: { server: "http://${http.address}", insecure-skip-tls-verify: true }`,
      'users:',
      '- name: tester',
      '  user: { token: not-a-real-token }',
      'contexts:',
      '- name: stand-in',
      '  context: { cluster: stand-in, user: tester }',
      'current-context: stand-in',
      '',
    ].join('\n'),
  );
  return {
    kubeconfig,
    requests,
    emit(event) {
      const key = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
      if (event.type === 'DELETED') pods.delete(key);
      else pods.set(key, event.object);
      resourceVersion = event.object.metadata.resourceVersion;
      for (const w of watches) {
        if (w.namespace === null || w.namespace === event.object.metadata.namespace) {
          w.res.write(`${JSON.stringify(event)}\n`);
        }
      }
    },
    failLists(n) {
      failing = n;
    },
    forbidNamespace(namespace, refuse) {
      if (refuse) forbidden.add(namespace);
      else forbidden.delete(namespace);
    },
    async stop() {
      for (const w of watches) w.res.end();
      await http.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
