// The preload entry: `node --import @kiln/agent/register` with only environment variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePprof } from '@kiln/formats';
import { valueWithFrame } from './test-helpers/profile-summary.js';
import { Receiver } from './test-helpers/receiver.js';
import { REGISTER, WORKLOAD, runChild } from './test-helpers/run-child.js';

test('register: profiles an unmodified program from Pyroscope and KILN_ variables, flushing as it exits', async () => {
  const receiver = await Receiver.start();
  try {
    const program = { KILN_TEST_RUN_MS: '700', KILN_TEST_EXIT_CODE: '5' };
    const [plain, preloaded] = await Promise.all([
      runChild([WORKLOAD, 'cpu'], { env: program }),
      runChild([WORKLOAD, 'cpu'], {
        nodeArgs: ['--import', REGISTER],
        env: {
          ...program,
          PYROSCOPE_APPLICATION_NAME: 'agent-test.register{team=core}',
          PYROSCOPE_SERVER_ADDRESS: 'http://127.0.0.1:1', // overridden by KILN_SERVER_ADDRESS
          KILN_SERVER_ADDRESS: receiver.url,
          PYROSCOPE_TAGS: 'env=pyroscope,zone=z1',
          KILN_TAGS: 'env=kiln',
          PYROSCOPE_AUTH_TOKEN: 'pyro-token',
          PYROSCOPE_TENANT_ID: 'tenant-b',
          // Longer than the program: the only upload is the one sent as the event loop empties.
          KILN_UPLOAD_INTERVAL_MS: '60000',
          KILN_HEAP_ENABLED: 'false',
        },
      }),
    ]);
    assert.equal(plain.code, 5, plain.stderr);
    assert.equal(preloaded.code, 5, preloaded.stderr);
    assert.equal(preloaded.stdout, plain.stdout);
    assert.equal(preloaded.stderr, '', 'nothing to warn about');

    assert.equal(receiver.requests.length, 1);
    const [upload] = receiver.requests;
    assert.equal(
      upload!.query.get('name'),
      'agent-test.register{otel.scope.name=kiln.agent/nodejs,otel.scope.version=0.1.0,process.runtime.name=nodejs,' +
        `process.runtime.version=${process.versions.node},team=core,env=kiln,zone=z1}`,
    );
    assert.equal(upload!.headers['authorization'], 'Bearer pyro-token');
    assert.equal(upload!.headers['x-scope-orgid'], 'tenant-b');
    const profile = parsePprof(upload!.body)!;
    // Wall time, not CPU time: on a busy machine the program gets less CPU than it runs for.
    assert.ok(valueWithFrame(profile, 'wall', 'kilnTestBurnCpu') > 400e6, 'the 700 ms program was profiled');
  } finally {
    await receiver.close();
  }
});

test('register: without an application name it says so once on stderr and leaves the program alone', async () => {
  const program = { KILN_TEST_RUN_MS: '100', KILN_TEST_EXIT_CODE: '6' };
  const [plain, preloaded] = await Promise.all([
    runChild([WORKLOAD, 'steady'], { env: program }),
    runChild([WORKLOAD, 'steady'], {
      nodeArgs: ['--import', REGISTER],
      env: { ...program, PYROSCOPE_SERVER_ADDRESS: 'http://127.0.0.1:1', KILN_UPLOAD_INTERVAL_MS: 'soon' },
    }),
  ]);
  assert.equal(preloaded.code, 6);
  assert.equal(preloaded.stdout, plain.stdout);
  assert.equal(
    preloaded.stderr,
    'kiln-agent warn: KILN_UPLOAD_INTERVAL_MS="soon" is not a positive integer; ignored\n' +
      'kiln-agent warn: not started: set KILN_APPLICATION_NAME or PYROSCOPE_APPLICATION_NAME\n',
  );
});
