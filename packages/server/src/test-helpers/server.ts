import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { PusherService, QuerierService } from '@kiln/api';
import { defaultConfig, type ServerConfig } from '../config.js';
import { startServer, type RunningServer } from '../main.js';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  querier(binary?: boolean, tenant?: string): Client<typeof QuerierService>;
  pusher(binary?: boolean, tenant?: string): Client<typeof PusherService>;
  stop(): Promise<void>;
}

/** A real Kiln server in this process on a free port with a fresh data directory. */
export async function startTestServer(overrides: Partial<ServerConfig> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'kiln-server-'));
  const server = await startServer({
    ...defaultConfig(),
    listen: '127.0.0.1:0',
    dataDir: dir,
    selfProfiling: false,
    logLevel: 'silent',
    ...overrides,
  });
  const client = <S extends typeof QuerierService | typeof PusherService>(
    service: S,
    binary: boolean,
    tenant?: string,
  ) =>
    createClient(
      service,
      createConnectTransport({
        baseUrl: server.url,
        httpVersion: '1.1',
        useBinaryFormat: binary,
        interceptors: tenant ? [(next) => (req) => (req.header.set('x-scope-orgid', tenant), next(req))] : [],
      }),
    );
  return {
    server,
    url: server.url,
    dataDir: dir,
    querier: (binary = true, tenant) => client(QuerierService, binary, tenant),
    pusher: (binary = true, tenant) => client(PusherService, binary, tenant),
    async stop() {
      // Tests end with browsers and clients still holding keep-alive connections (Chromium's
      // network service outlives a closed page): drop them, or close() waits on them.
      const closing = server.close();
      server.app.server.closeAllConnections();
      await closing;
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
