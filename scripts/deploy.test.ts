// Checks of deploy/ and examples/microservices (docs/kubernetes.md "How the manifests are
// checked"): the Dockerfile's rules and its runtime layout, the Helm chart rendered for each
// deploy/helm/kiln/ci/*-values.yaml against its golden, the kustomize builds, and every object
// of them all against the Kubernetes schemas with unknown fields refused.
// Goldens: `UPDATE_GOLDENS=1 node scripts/test.mjs deploy` re-renders them; review the diff.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { isMap, parseAllDocuments, parseDocument, type YAMLMap } from 'yaml';
import { loadConfig } from '@kiln/server';
import { validateObject } from './k8s-validate.js';

const ROOT = join(import.meta.dirname, '..');
const CHART = join(ROOT, 'deploy/helm/kiln');
const CI_DIR = join(CHART, 'ci');
const UPDATE = process.env.UPDATE_GOLDENS === '1';

type K8sObject = Record<string, unknown> & { kind: string; metadata: { name: string } };

function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind} ${name} among ${objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`);
  return found;
}

// ---- Dockerfile

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions (continuation lines joined). */
function parseDockerfile(text: string): Map<string, Instruction[]> {
  const stages = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      current = [];
      stages.set(/\sAS\s+(\S+)/i.exec(line)?.[1] ?? String(stages.size), current);
    }
    current.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** COPY's sources and destination, flags (--from=...) apart. */
function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

/** .dockerignore's patterns as a predicate on repository paths (the subset the file uses). */
function dockerIgnored(patterns: string[]): (path: string) => boolean {
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\0')
      .replace(/\*/g, '[^/]*')
      .replace(/\0/g, '(?:.*/)?');
    return new RegExp(`^${body}(?:/.*)?$`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Dockerfile', () => {
  const build = dockerfile.get('build');
  const runtime = dockerfile.get('runtime');

  test('two stages; the runtime runs kiln server on 0.0.0.0:4040 with /data as a non-root user', () => {
    assert.ok(build && runtime, `stages: ${[...dockerfile.keys()].join(', ')}`);
    const last = (op: string) => runtime.filter((i) => i.op === op).at(-1)?.args;
    const user = last('USER');
    assert.ok(user, 'the runtime stage sets USER');
    assert.match(user, /^[1-9]\d*(:\d+)?$/, 'a numeric non-root user, so runAsNonRoot can check it');
    assert.equal(last('EXPOSE'), '4040');
    assert.equal(last('VOLUME'), '/data');
    const command = [...JSON.parse(last('ENTRYPOINT') ?? '[]'), ...JSON.parse(last('CMD') ?? '[]')] as string[];
    const kiln = command.indexOf('kiln');
    assert.deepEqual(command.slice(kiln), ['kiln', 'server', '--listen', '0.0.0.0:4040', '--data-dir', '/data']);
    assert.ok(
      build.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args) && /npm prune --omit=dev/.test(i.args)),
      'the build stage installs, builds (npm ci runs prepare) and prunes development dependencies',
    );
  });

  test('every COPY source of the build context exists and is not excluded by .dockerignore', () => {
    const ignored = dockerIgnored(dockerignore);
    for (const path of ['.git', 'node_modules', 'packages/server/node_modules', 'data', 'packages/cli/dist']) {
      assert.ok(ignored(path), `.dockerignore excludes ${path}`);
    }
    const copies = [...dockerfile.values()].flat().filter((i) => i.op === 'COPY');
    const fromContext = copies.map((i) => copyArgs(i.args)).filter((c) => c.from === undefined);
    assert.ok(fromContext.length > 0);
    for (const { sources } of fromContext) {
      for (const source of sources) {
        assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: not in the repository`);
        assert.ok(!ignored(source), `COPY ${source}: excluded by .dockerignore`);
      }
    }
  });

  test("the runtime stage's files start the server, /ready (the HEALTHCHECK) answers and / serves the UI", async () => {
    // Replays the runtime stage's COPY --from=build steps from this checkout (built by npm ci's
    // prepare) into a temporary /app. node_modules is the exception: the third-party packages
    // are linked, not copied (the image has the pruned production set), while @kiln/* keep
    // their relative links, so they resolve to the copied packages/ as in the image.
    assert.ok(runtime);
    for (const pkg of ['model', 'formats', 'api', 'agent', 'server', 'ui', 'cli']) {
      assert.ok(existsSync(join(ROOT, 'packages', pkg, 'dist')), `packages/${pkg}/dist is missing: run npm run build`);
    }
    const app = mkdtempSync(join(tmpdir(), 'kiln-image-'));
    const dataDir = join(app, 'data');
    try {
      for (const { from, sources, dest } of runtime.filter((i) => i.op === 'COPY').map((i) => copyArgs(i.args))) {
        assert.equal(from, 'build');
        for (const source of sources) {
          const relative = source.replace(/^\/app\//, '');
          const target = join(app, dest.endsWith('/') ? join(dest, relative.split('/').at(-1) ?? '') : dest);
          mkdirSync(dirname(target), { recursive: true });
          if (relative === 'node_modules') {
            mkdirSync(target);
            for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
              if (entry === '@kiln')
                cpSync(join(ROOT, 'node_modules', entry), join(target, entry), {
                  recursive: true,
                  verbatimSymlinks: true,
                });
              else symlinkSync(join(ROOT, 'node_modules', entry), join(target, entry));
            }
          } else {
            cpSync(join(ROOT, relative), target, { recursive: true });
          }
        }
      }
      const healthcheck = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
      const readyPath = /http:\/\/127\.0\.0\.1:4040(\/[\w/-]*)/.exec(healthcheck)?.[1];
      assert.equal(readyPath, '/ready', `HEALTHCHECK: ${healthcheck}`);

      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          join(app, 'packages/cli/bin/kiln.js'),
          'server',
          '--listen',
          `127.0.0.1:${port}`,
          '--data-dir',
          dataDir,
          '--self-profiling=false',
        ],
        {
          cwd: app,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production' },
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      try {
        const ready = await waitFor(`http://127.0.0.1:${port}${readyPath}`, 30_000).catch((err: Error) => {
          throw new Error(`${err.message}\n${stderr}`);
        });
        assert.equal(await ready.text(), 'ready\n');
        const ui = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(ui.status, 200);
        assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
        assert.ok(existsSync(join(dataDir)), 'the store is in the data dir');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});

// ---- Helm chart

const GOPATH = '/usr/share/gocode';
const RENDERER_MISSING = (() => {
  if (spawnSync('go', ['version']).status !== 0) return 'go is not installed (apt-get install golang-go)';
  for (const pkg of ['github.com/Masterminds/sprig', 'sigs.k8s.io/yaml']) {
    if (!existsSync(join(GOPATH, 'src', pkg))) {
      return `${pkg} is not in ${GOPATH} (apt-get install golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)`;
    }
  }
  return undefined;
})();

/** What `helm template kiln deploy/helm/kiln -n kiln [args]` renders, by deploy/helm/render. */
function renderChart(args: string[]): string {
  const result = spawnSync(
    'go',
    ['run', join(ROOT, 'deploy/helm/render/main.go'), '--name', 'kiln', '--namespace', 'kiln', ...args, CHART],
    {
      encoding: 'utf8',
      env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: join(tmpdir(), 'kiln-go-cache') },
    },
  );
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

const CASES = readdirSync(CI_DIR)
  .filter((f) => f.endsWith('-values.yaml'))
  .map((f) => f.slice(0, -'-values.yaml'.length))
  .sort();
const goldenPath = (name: string) => join(CI_DIR, 'goldens', `${name}.yaml`);

/** helm-docs' rule: a key with a `# --` comment is a value; a map without one is a section. */
function documentedValues(map: YAMLMap, prefix: string, out: { documented: string[]; undocumented: string[] }) {
  map.items.forEach((pair, i) => {
    const key = `${prefix}${String((pair.key as { value: unknown }).value)}`;
    const comment = (pair.key as { commentBefore?: string }).commentBefore ?? (i === 0 ? map.commentBefore : undefined);
    if (comment && /(^|\n) ?-- /.test(comment)) out.documented.push(key);
    else if (isMap(pair.value)) documentedValues(pair.value, `${key}.`, out);
    else out.undocumented.push(key);
  });
  return out;
}

describe('Helm chart', () => {
  test('cases: default, nodeport, ingress and ServiceMonitor, node agent', () => {
    assert.deepEqual(CASES, ['default', 'ingress-servicemonitor', 'node-agent', 'nodeport']);
  });

  for (const name of CASES) {
    test(`${name}: renders as its golden`, { skip: RENDERER_MISSING }, () => {
      const rendered = renderChart(['-f', join(CI_DIR, `${name}-values.yaml`)]);
      if (UPDATE) writeFileSync(goldenPath(name), rendered);
      assert.equal(rendered, readFileSync(goldenPath(name), 'utf8'), `UPDATE_GOLDENS=1 node scripts/test.mjs deploy`);
    });
  }

  test(
    '--set service.type=NodePort: a NodePort Service, the port left to Kubernetes',
    { skip: RENDERER_MISSING },
    () => {
      const service = find(parseManifests(renderChart(['--set', 'service.type=NodePort'])), 'Service', 'kiln');
      const spec = service.spec as { type: string; ports: { port: number; nodePort?: number }[] };
      assert.equal(spec.type, 'NodePort');
      assert.deepEqual([spec.ports[0]!.port, spec.ports[0]!.nodePort], [4040, undefined]);
    },
  );

  test('every value in values.yaml is documented, and listed in the README', () => {
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const { documented, undocumented } = documentedValues(doc.contents as YAMLMap, '', {
      documented: [],
      undocumented: [],
    });
    assert.deepEqual(undocumented, []);
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    assert.deepEqual(
      documented.filter((key) => !readme.includes(`| \`${key}\` |`)),
      [],
      'values missing from the README table',
    );
  });

  test("each case's config.yaml is one kiln server accepts (unknown settings are refused)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-chart-config-'));
    try {
      for (const name of CASES) {
        const objects = parseManifests(readFileSync(goldenPath(name), 'utf8'));
        const configMap = find(objects, 'ConfigMap', 'kiln') as K8sObject & { data: Record<string, string> };
        const file = join(dir, `${name}.yaml`);
        writeFileSync(file, configMap.data['config.yaml'] ?? '');
        const config = loadConfig({ config: file }, {});
        assert.deepEqual(config.retentionDays, [7, 30, 90, 400, 0]);
      }
      writeFileSync(join(dir, 'typo.yaml'), 'retention_day: [1, 1, 1, 1, 1]\n');
      assert.throws(() => loadConfig({ config: join(dir, 'typo.yaml') }, {}), /unknown setting `retention_day`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('what each case switches on', () => {
    const load = (name: string) => parseManifests(readFileSync(goldenPath(name), 'utf8'));
    const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).sort();
    assert.deepEqual(kinds(load('default')), ['ConfigMap', 'Service', 'Service', 'ServiceAccount', 'StatefulSet']);
    const nodeport = find(load('nodeport'), 'Service', 'kiln').spec as { type: string; ports: { nodePort: number }[] };
    assert.deepEqual([nodeport.type, nodeport.ports[0]!.nodePort], ['NodePort', 30040]);
    const ingress = load('ingress-servicemonitor');
    for (const kind of ['Ingress', 'ServiceMonitor', 'ClusterRole', 'ClusterRoleBinding']) find(ingress, kind, 'kiln');
    const emptyDir = JSON.stringify(find(ingress, 'StatefulSet', 'kiln'));
    assert.ok(!emptyDir.includes('volumeClaimTemplates') && emptyDir.includes('"name":"data","emptyDir":{}'));
    const agent = find(load('node-agent'), 'DaemonSet', 'kiln-node-agent') as K8sObject & {
      spec: { template: { spec: { hostPID: boolean; containers: { args: string[]; securityContext: unknown }[] } } };
    };
    const pod = agent.spec.template.spec;
    assert.equal(pod.hostPID, true);
    assert.deepEqual(pod.containers[0]!.args.slice(0, 3), ['node-agent', '--server', 'http://kiln:4040']);
    assert.deepEqual(pod.containers[0]!.securityContext, {
      runAsUser: 0,
      privileged: false,
      capabilities: { add: ['SYS_ADMIN', 'SYS_PTRACE'] },
    });
  });
});

// ---- kustomize

const KUBECTL_MISSING =
  spawnSync('kubectl', ['version', '--client']).status === 0 ? undefined : 'kubectl is not installed';
const KUSTOMIZATIONS = ['deploy/k8s/base', 'deploy/k8s/overlays/nodeport', 'examples/microservices'];

function kustomize(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return parseManifests(result.stdout);
}

describe('kustomize', { skip: KUBECTL_MISSING }, () => {
  test('base: namespace-less StatefulSet, Services and a hashed ConfigMap', () => {
    const objects = kustomize('deploy/k8s/base');
    assert.ok(objects.every((o) => !('namespace' in o.metadata)));
    const set = find(objects, 'StatefulSet', 'kiln') as K8sObject & {
      spec: { template: { spec: { volumes: unknown[] } } };
    };
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    assert.match(configMap?.metadata.name ?? '', /^kiln-config-[a-z0-9]{10}$/);
    assert.ok(JSON.stringify(set.spec.template.spec.volumes).includes(configMap?.metadata.name ?? '?'));
  });

  test('overlays/nodeport: namespace profiling, node port 30040, 50Gi', () => {
    const objects = kustomize('deploy/k8s/overlays/nodeport');
    assert.ok(
      objects.every((o) => o.kind === 'Namespace' || (o.metadata as { namespace?: string }).namespace === 'profiling'),
    );
    const spec = find(objects, 'Service', 'kiln').spec as { type: string; ports: { nodePort: number }[] };
    assert.deepEqual([spec.type, spec.ports[0]!.nodePort], ['NodePort', 30040]);
    assert.ok(JSON.stringify(find(objects, 'StatefulSet', 'kiln')).includes('"storage":"50Gi"'));
  });

  test('examples/microservices: kiln exec, the in-process Node agent, and an annotated Go service', () => {
    const objects = kustomize('examples/microservices');
    const container = (name: string) =>
      (find(objects, 'Deployment', name).spec as { template: { spec: { containers: Record<string, unknown>[] } } })
        .template.spec.containers[0]!;
    const env = (name: string) =>
      Object.fromEntries((container(name).env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    assert.deepEqual((container('checkout').args as string[]).slice(0, 1), ['exec']);
    assert.equal(env('checkout').PYROSCOPE_SERVER_ADDRESS, 'http://kiln.profiling.svc:4040');
    assert.deepEqual(container('checkout').securityContext, { capabilities: { add: ['SYS_PTRACE'] } });
    assert.equal(env('orders').NODE_OPTIONS, '--import @kiln/agent/register');
    const inventory = find(objects, 'Deployment', 'inventory').spec as {
      template: { metadata: { annotations: Record<string, string> } };
    };
    assert.equal(inventory.template.metadata.annotations['profiles.grafana.com/cpu.scrape'], 'true');
    assert.equal(inventory.template.metadata.annotations['profiles.grafana.com/cpu.port'], '6060');
  });
});

// ---- schemas

describe('Kubernetes schemas', () => {
  for (const name of CASES) {
    test(`Helm golden ${name}: every object is valid, no unknown fields`, () => {
      const objects = parseManifests(readFileSync(goldenPath(name), 'utf8'));
      assert.deepEqual(objects.flatMap(validateObject), []);
    });
  }

  for (const dir of KUSTOMIZATIONS) {
    test(`kustomize ${dir}: every object is valid, no unknown fields`, { skip: KUBECTL_MISSING }, () => {
      assert.deepEqual(kustomize(dir).flatMap(validateObject), []);
    });
  }

  test('an unknown field, a wrong type and an unknown kind are refused', () => {
    const objects = parseManifests(readFileSync(goldenPath('ingress-servicemonitor'), 'utf8'));
    const set = structuredClone(find(objects, 'StatefulSet', 'kiln')) as K8sObject & {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    set.spec.template.spec.containers[0]!.readinesProbe = { httpGet: { path: '/ready', port: 'http' } };
    assert.deepEqual(validateObject(set), [
      'StatefulSet kiln: /spec/template/spec/containers/0/readinesProbe is not a field of the schema',
    ]);
    const monitor = structuredClone(find(objects, 'ServiceMonitor', 'kiln')) as K8sObject & {
      spec: { endpoints: Record<string, unknown>[] };
    };
    monitor.spec.endpoints[0]!.intervall = '30s';
    assert.deepEqual(validateObject(monitor), [
      'ServiceMonitor kiln: /spec/endpoints/0/intervall is not a field of the schema',
    ]);
    const service = structuredClone(find(objects, 'Service', 'kiln')) as K8sObject & {
      spec: { ports: { port: unknown }[] };
    };
    service.spec.ports[0]!.port = '4040';
    assert.match(validateObject(service).join('\n'), /\/spec\/ports\/0\/port must be integer/);
    assert.deepEqual(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), [
      'Widget w: no schema for example.com/v1 Widget',
    ]);
  });
});
