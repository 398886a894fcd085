// The agent in real child processes, uploading over real HTTP to a real server in this test.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import type { Profile } from '@kiln/model';
import ts from 'typescript';
import { functionsOf, selfByFunction, valueWithFrame } from './test-helpers/profile-summary.js';
import { Receiver, type ReceivedRequest } from './test-helpers/receiver.js';
import { WORKLOAD, runChild, statsFrom } from './test-helpers/run-child.js';

let receiver: Receiver;
before(async () => {
  receiver = await Receiver.start();
});
after(() => receiver.close());

function parseUpload(upload: ReceivedRequest): Profile {
  assert.deepEqual([...upload.body.subarray(0, 2)], [0x1f, 0x8b], 'the body is gzip');
  const profile = parsePprof(upload.body);
  assert.ok(profile, 'the body is pprof');
  return profile;
}

function uploadsOf(app: string): ReceivedRequest[] {
  return receiver.requests.filter((r) => r.query.get('name')?.startsWith(`${app}{`));
}

test('CPU: a child burning CPU uploads gzipped pprof where its hot function has most of the CPU time', async () => {
  const app = 'agent-test.cpu';
  const child = await runChild([WORKLOAD, 'cpu'], {
    env: {
      KILN_TEST_RUN_MS: '2600',
      KILN_TEST_AGENT: JSON.stringify({
        appName: app,
        serverAddress: receiver.url,
        uploadIntervalMs: 1000,
        heap: false,
        tags: { env: 'test', region: 'local' },
        authToken: 'secret-token',
        tenantId: 'tenant-a',
      }),
    },
  });
  assert.equal(child.code, 0, child.stderr);
  const uploads = uploadsOf(app);
  // ~2 on the interval plus the final one from stop(): the interval timer runs between slices.
  assert.ok(uploads.length >= 3, `expected >= 3 uploads, got ${uploads.length}`);

  const expectedName =
    `${app}{otel.scope.name=kiln.agent/nodejs,otel.scope.version=0.1.0,process.runtime.name=nodejs,` +
    `process.runtime.version=${process.versions.node},env=test,region=local}`;
  let previousUntil = 0;
  for (const upload of uploads) {
    assert.equal(upload.method, 'POST');
    assert.equal(upload.path, '/ingest');
    // Parameter names and order exactly as @pyroscope/nodejs 0.6.4 sends them for a wall profile.
    assert.deepEqual([...upload.query.keys()], ['format', 'from', 'name', 'spyName', 'until', 'sampleRate']);
    assert.equal(upload.query.get('format'), 'pprof');
    assert.equal(upload.query.get('spyName'), 'nodespy');
    assert.equal(upload.query.get('sampleRate'), '100');
    assert.equal(upload.query.get('name'), expectedName);
    const from = Number(upload.query.get('from'));
    const until = Number(upload.query.get('until'));
    assert.match(upload.query.get('from')!, /^\d{10}$/, 'Unix seconds');
    assert.ok(from <= until && until <= Math.ceil(child.exitedAtMs / 1000), `window ${from}..${until}`);
    assert.ok(from >= previousUntil - 1, 'windows follow each other');
    previousUntil = until;
    assert.equal(upload.headers['content-type'], 'application/octet-stream');
    assert.equal(upload.headers['content-encoding'], undefined);
    assert.equal(upload.headers['authorization'], 'Bearer secret-token');
    assert.equal(upload.headers['x-scope-orgid'], 'tenant-a');
  }

  let hot = 0;
  let total = 0;
  let wallNs = 0;
  let hotName = '';
  for (const upload of uploads) {
    const profile = parseUpload(upload);
    assert.deepEqual(
      profile.sampleTypes.map((t) => `${t.type}/${t.unit}`),
      ['samples/count', 'wall/nanoseconds', 'cpu/nanoseconds'],
    );
    assert.deepEqual(profile.periodType, { type: 'wall', unit: 'nanoseconds' });
    wallNs += valueWithFrame(profile, 'wall', '');
    for (const [name, value] of selfByFunction(profile, 'cpu')) {
      total += value;
      if (name.includes('kilnTestBurnCpu')) {
        hot += value;
        hotName = name;
      }
    }
  }
  // Named as the official SDK names functions: ./<path from cwd>:<function>:<line>.
  assert.match(hotName, /^\..*workload\.ts:kilnTestBurnCpu:\d+$/);
  // Wall time sampled, not CPU: other processes on the machine may take some of the CPU.
  assert.ok(wallNs > 2e9, `about 2.6 s sampled, got ${wallNs / 1e9} s`);
  assert.ok(hot / total > 0.6, `kilnTestBurnCpu has ${((100 * hot) / total).toFixed(1)}% of the CPU time`);
});

test('heap: the uploaded heap profile contains the allocation site', async () => {
  const app = 'agent-test.heap';
  const child = await runChild([WORKLOAD, 'heap'], {
    env: {
      KILN_TEST_RUN_MS: '1500',
      KILN_TEST_AGENT: JSON.stringify({
        appName: app,
        serverAddress: receiver.url,
        uploadIntervalMs: 700,
        cpu: false,
        heap: { samplingIntervalBytes: 32 * 1024, stackDepth: 32 },
      }),
    },
  });
  assert.equal(child.code, 0, child.stderr);
  const uploads = uploadsOf(app);
  assert.ok(uploads.length >= 2, `expected >= 2 heap uploads, got ${uploads.length}`);
  for (const upload of uploads) {
    // Heap uploads carry no sampleRate, as the official SDK's.
    assert.deepEqual([...upload.query.keys()], ['format', 'from', 'name', 'spyName', 'until']);
  }
  const last = parseUpload(uploads.at(-1)!);
  assert.deepEqual(
    last.sampleTypes.map((t) => `${t.type}/${t.unit}`),
    ['inuse_objects/count', 'inuse_space/bytes'],
  );
  const retainedBytes = valueWithFrame(last, 'inuse_space', 'kilnTestRetainObjects');
  // 200 batches of 2 000 objects (a few MB) are retained; sampling every 32 KiB sees most of it.
  assert.ok(retainedBytes > 1_000_000, `kilnTestRetainObjects holds ${retainedBytes} sampled bytes`);
});

test('stop() flushes a final profile of each kind before the program exits', async () => {
  const app = 'agent-test.stop';
  const child = await runChild([WORKLOAD, 'cpu'], {
    env: {
      KILN_TEST_RUN_MS: '600',
      // The interval never elapses: everything received comes from stop().
      KILN_TEST_AGENT: JSON.stringify({ appName: app, serverAddress: receiver.url, uploadIntervalMs: 60_000 }),
    },
  });
  assert.equal(child.code, 0, child.stderr);
  const uploads = uploadsOf(app);
  assert.equal(uploads.length, 2, 'one cpu and one heap profile');
  assert.ok(uploads.every((u) => u.receivedAtMs <= child.exitedAtMs));
  const cpu = uploads.find((u) => u.query.has('sampleRate'));
  assert.ok(cpu, 'a cpu upload');
  const profile = parseUpload(cpu);
  const hot = valueWithFrame(profile, 'wall', 'kilnTestBurnCpu');
  assert.ok(hot > 400e6, `the final profile holds the 600 ms of burning, got ${hot / 1e6} ms`);
  assert.deepEqual(statsFrom(child.stderr), {
    collected: 2,
    uploaded: 2,
    dropped: 0,
    rejected: 0,
    failedAttempts: 0,
    buffered: 0,
  });
});

test('sourceMaps: frames of transpiled TypeScript name the .ts file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-agent-sourcemap-'));
  try {
    // A real tsc transpile with a source map, so V8 runs .js and the map points back to .ts.
    const source = [
      'type Ms = number;',
      '',
      '// Padding so the .ts and .js line numbers differ.',
      'export function kilnMappedHot(ms: Ms): number {',
      '  const end: Ms = Date.now() + ms;',
      '  let x = 1;',
      '  while (Date.now() < end) for (let i = 0; i < 20_000; i++) x = (x * 31 + i) % 1_000_003;',
      '  return x;',
      '}',
      '',
    ].join('\n');
    const out = ts.transpileModule(source, {
      fileName: 'mapped-hot.ts',
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true },
    });
    writeFileSync(join(dir, 'mapped-hot.js'), out.outputText);
    writeFileSync(join(dir, 'mapped-hot.js.map'), out.sourceMapText!);
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const app = 'agent-test.sourcemaps';
    writeFileSync(
      join(dir, 'main.mjs'),
      [
        `import { startProfiling } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'index.ts')).href)};`,
        "import { kilnMappedHot } from './mapped-hot.js';",
        `const agent = startProfiling({ appName: '${app}', serverAddress: '${receiver.url}', heap: false,`,
        `  uploadIntervalMs: 60_000, sourceMaps: { searchDirs: [${JSON.stringify(dir)}] } });`,
        'await new Promise((r) => setTimeout(r, 300));', // source maps load before profiling starts
        'for (let i = 0; i < 40; i++) { kilnMappedHot(20); await new Promise((r) => setImmediate(r)); }',
        'await agent.stop();',
      ].join('\n'),
    );
    const child = await runChild([join(dir, 'main.mjs')]);
    assert.equal(child.code, 0, child.stderr);
    const [upload] = uploadsOf(app);
    assert.ok(upload, 'a cpu upload');
    const hot = functionsOf(parseUpload(upload)).find((f) => f.name.includes('kilnMappedHot'));
    assert.ok(hot, 'kilnMappedHot is in the profile');
    assert.ok(hot.file.endsWith('mapped-hot.ts'), `file is ${hot.file}`);
    assert.ok(hot.name.endsWith('mapped-hot.ts:kilnMappedHot:4'), `name is ${hot.name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
