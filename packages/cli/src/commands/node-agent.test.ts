import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCgroup } from '../node-agent/cgroup.js';
import { startTestServer, type TestServer } from '../../../server/src/test-helpers/server.js';
import {
  buildCProgram,
  buildGoProgram,
  REPO_ROOT,
  startKiln,
  topFunctions,
  waitFor,
} from '../test-helpers/kiln-cli.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const PODS = JSON.parse(readFileSync(join(REPO_ROOT, 'testdata/kubernetes/node-pods.json'), 'utf8')) as {
  items: { metadata: { uid: string }; status: { containerStatuses: { containerID: string }[] } }[];
};
const POD_C = PODS.items[0]!;
const POD_GO = PODS.items[1]!;
const idOf = (pod: typeof POD_C): string => pod.status.containerStatuses[0]!.containerID.replace('containerd://', '');

test('parseCgroup reads both kubelet cgroup drivers, v1 and v2 lines', () => {
  assert.deepEqual(parseCgroup(`12:pids:/kubepods/burstable/pod${POD_C.metadata.uid}/${idOf(POD_C)}\n0::/\n`), {
    podUid: POD_C.metadata.uid,
    containerId: idOf(POD_C),
  });
  const systemd = `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_GO.metadata.uid.replace(/-/g, '_')}.slice/cri-containerd-${idOf(POD_GO)}.scope\n`;
  assert.deepEqual(parseCgroup(systemd), { podUid: POD_GO.metadata.uid, containerId: idOf(POD_GO) });
  assert.deepEqual(parseCgroup('0::/user.slice/user-0.slice/session-1.scope\n'), { podUid: null, containerId: null });
});

/** The Kubernetes API stand-in: the pod list, and a watch held open with no events. */
async function kubernetesApi(): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url!);
    const url = new URL(req.url!, 'http://x');
    if (url.pathname !== '/api/v1/pods' || url.searchParams.get('fieldSelector') !== 'spec.nodeName=test-node') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.write('');
      return; // held open until the agent stops
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(PODS));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

/**
 * Puts `pid` in a real cgroup named as the kubelet names a container's; where cgroups cannot be
 * made, writes the same line as its cgroup file under `procRoot` (replayed).
 */
function placeInCgroup(pid: number, path: string, procRoot: string, made: string[]): 'real' | 'replayed' {
  const dir = join('/sys/fs/cgroup/pids', path);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    made.push(dir);
    mkdirSync(join(procRoot, String(pid)), { recursive: true });
    writeFileSync(join(procRoot, String(pid), 'cgroup'), readFileSync(`/proc/${pid}/cgroup`));
    return 'real';
  } catch {
    mkdirSync(join(procRoot, String(pid)), { recursive: true });
    writeFileSync(join(procRoot, String(pid), 'cgroup'), `8:pids:${path}\n0::/\n`);
    return 'replayed';
  }
}

describe('kiln node-agent', () => {
  let server: TestServer;
  let api: Awaited<ReturnType<typeof kubernetesApi>>;
  const programs: ChildProcess[] = [];
  const cgroups: string[] = [];
  before(async () => {
    server = await startTestServer();
    api = await kubernetesApi();
  });
  after(async () => {
    for (const p of programs) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    for (const dir of cgroups.reverse()) {
      for (let d = dir; d.startsWith('/sys/fs/cgroup/pids/kubepods'); d = join(d, '..')) {
        try {
          rmdirSync(d);
        } catch {
          break;
        }
      }
    }
    api.server.closeAllConnections();
    api.server.close();
    await server.stop();
  });

  test("samples every process; each pod container gets its own series with pod labels, and no other workload's frames", async (t) => {
    const procRoot = mkdtempSync(join(tmpdir(), 'kiln-proc-'));
    const c = spawn(buildCProgram(), ['60'], { stdio: 'ignore' });
    const go = spawn(buildGoProgram(), [], { stdio: 'ignore' });
    programs.push(c, go);
    const modeC = placeInCgroup(
      c.pid!,
      `/kubepods/burstable/pod${POD_C.metadata.uid}/${idOf(POD_C)}`,
      procRoot,
      cgroups,
    );
    const modeGo = placeInCgroup(
      go.pid!,
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_GO.metadata.uid.replace(/-/g, '_')}.slice/cri-containerd-${idOf(POD_GO)}.scope`,
      procRoot,
      cgroups,
    );
    t.diagnostic(`cgroups: ${modeC}, ${modeGo}`);
    const kubeconfig = join(procRoot, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'stand-in', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'agent', user: { token: 'node-agent-token' } }],
        contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'agent' } }],
        'current-context': 'stand-in',
      }),
    );
    const agent = startKiln([
      'node-agent',
      '--server',
      server.url,
      '--node-name',
      'test-node',
      '--kubeconfig',
      kubeconfig,
      '--proc-root',
      procRoot,
      '--upload-interval',
      '1s',
    ]);
    try {
      const started = Date.now();
      let seen = '';
      const [cResult, goResult] = await waitFor(
        'both workloads',
        async () => {
          const a = await topFunctions(server.url, 'default/burner-c', CPU);
          const b = await topFunctions(server.url, 'shop/burner-go', CPU);
          seen = `burner-c ${a.total} ns, burner-go ${b.total} ns after ${Date.now() - started} ms; API requests: ${api.requests.length}`;
          return a.total >= 0.2e9 && b.total >= 0.2e9 ? ([a, b] as const) : null;
        },
        90_000,
      ).finally(() => t.diagnostic(seen));
      assert.equal(cResult.top[0]!.name, 'hot_c_loop', JSON.stringify(cResult.top.slice(0, 3)));
      assert.equal(
        cResult.top.some((f) => f.name === 'main.burnGoHot'),
        false,
      );
      assert.equal(goResult.top[0]!.name, 'main.burnGoHot', JSON.stringify(goResult.top.slice(0, 3)));
      assert.equal(
        goResult.top.some((f) => f.name === 'hot_c_loop'),
        false,
      );

      const labels = await fetch(`${server.url}/querier.v1.QuerierService/Series`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: ['{service_name="shop/burner-go"}'],
          labelNames: ['namespace', 'pod', 'container', 'node'],
        }),
      }).then((r) => r.json() as Promise<{ labelsSet: { labels: { name: string; value: string }[] }[] }>);
      const set = Object.fromEntries(labels.labelsSet[0]!.labels.map((l) => [l.name, l.value]));
      assert.deepEqual(set, {
        namespace: 'shop',
        pod: 'burner-go-5f8d7c9b4-mq7zt',
        container: 'burner-go',
        node: 'test-node',
      });
      // The pod list came from the API with the node's field selector, then a watch.
      assert.ok(
        api.requests.some((u) => u.includes('watch=true')),
        api.requests.join('\n'),
      );
    } finally {
      agent.child.kill('SIGINT');
      const run = await agent.done;
      t.diagnostic(run.stderr);
      assert.equal(run.code, 0, run.stderr);
    }
  });
});
