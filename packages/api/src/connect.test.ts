import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { FlameGraphSchema, PusherService, QuerierService, fromLabelPairs, toLabelPairs } from './index.js';
import type { PushRequest, SelectMergeStacktracesRequest } from './index.js';

// A tiny Connect server for the generated service descriptors: it records what it receives, so
// each test can check that the request crossed HTTP intact in both the binary and the JSON codec.

const cpuProfileGz = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../testdata/go/cpu.pb.gz')));

interface Received {
  contentType: string | null;
  request: PushRequest | SelectMergeStacktracesRequest;
}

const received: Received[] = [];

function routes(router: ConnectRouter): void {
  router.service(PusherService, {
    push(request, context) {
      if (request.series.length === 0) throw new ConnectError('no profiles received', Code.InvalidArgument);
      received.push({ contentType: context.requestHeader.get('content-type'), request });
      return {};
    },
  });
  router.service(QuerierService, {
    selectMergeStacktraces(request, context) {
      received.push({ contentType: context.requestHeader.get('content-type'), request });
      return {
        flamegraph: create(FlameGraphSchema, {
          names: ['total', 'main.main'],
          levels: [{ values: [0n, 9_007_199_254_740_993n, 0n, 0n] }, { values: [0n, 9_007_199_254_740_993n, 1n, 1n] }],
          total: 9_007_199_254_740_993n, // 2^53 + 1: survives only if int64 stays exact on both codecs
          maxSelf: 1n,
        }),
      };
    },
  });
}

const server = createServer(connectNodeAdapter({ routes }));
let baseUrl = '';

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

for (const useBinaryFormat of [true, false]) {
  const codec = useBinaryFormat ? 'binary' : 'JSON';
  const contentType = useBinaryFormat ? 'application/proto' : 'application/json';
  const transport = () => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat });

  test(`Connect ${codec}: a client pushes a real pprof to a PusherService server`, async () => {
    received.length = 0;
    const client = createClient(PusherService, transport());
    const labels = toLabelPairs({ __name__: 'process_cpu', service_name: 'checkout' });

    await client.push({ series: [{ labels, samples: [{ rawProfile: cpuProfileGz, ID: 'profile-1' }] }] });

    assert.equal(received.length, 1);
    assert.equal(received[0]!.contentType, contentType);
    const request = received[0]!.request as PushRequest;
    assert.deepEqual(fromLabelPairs(request.series[0]!.labels), { __name__: 'process_cpu', service_name: 'checkout' });
    assert.equal(request.series[0]!.samples[0]!.ID, 'profile-1');
    assert.deepEqual(new Uint8Array(request.series[0]!.samples[0]!.rawProfile), cpuProfileGz);
  });

  test(`Connect ${codec}: a server error reaches the client as its Connect code`, async () => {
    const client = createClient(PusherService, transport());

    await assert.rejects(client.push({ series: [] }), (error: unknown) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.InvalidArgument);
      assert.equal(error.rawMessage, 'no profiles received');
      return true;
    });
  });

  test(`Connect ${codec}: QuerierService.SelectMergeStacktraces keeps int64 values exact`, async () => {
    received.length = 0;
    const client = createClient(QuerierService, transport());

    const response = await client.selectMergeStacktraces({
      profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      start: 1_676_282_400_000n,
      end: 1_676_289_600_000n,
      maxNodes: 1024n,
    });

    assert.equal(received[0]!.contentType, contentType);
    assert.equal((received[0]!.request as SelectMergeStacktracesRequest).maxNodes, 1024n);
    assert.equal(response.flamegraph?.total, 9_007_199_254_740_993n);
    assert.deepEqual(response.flamegraph?.levels[1]?.values, [0n, 9_007_199_254_740_993n, 1n, 1n]);
  });
}

test('Connect JSON as the Pyroscope UI sends it: numbers in, int64 strings out', async () => {
  const response = await fetch(`${baseUrl}/querier.v1.QuerierService/SelectMergeStacktraces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      labelSelector: '{}',
      start: 1676282400000,
      end: 1676289600000,
      maxNodes: 1024,
    }),
  });

  assert.equal(response.status, 200);
  const body = (await response.json()) as { flamegraph: { total: unknown; maxSelf: unknown } };
  assert.equal(body.flamegraph.total, '9007199254740993');
  assert.equal(body.flamegraph.maxSelf, '1');
});
