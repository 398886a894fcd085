import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActiveTargetJson } from '../../http/targets-routes.js';

/** Polls `/api/v1/targets` until `ready` holds for the active targets (or fails after `timeoutMs`). */
export async function waitForTargets(
  url: string,
  ready: (targets: ActiveTargetJson[]) => boolean,
  timeoutMs = 30_000,
): Promise<ActiveTargetJson[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ActiveTargetJson[] = [];
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
      data: { activeTargets: ActiveTargetJson[] };
    };
    last = body.data.activeTargets;
    if (ready(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`targets never became ready: ${JSON.stringify(last, null, 1)}`);
}

/** The folded stacks of a query over the last hour, as `/pyroscope/render?format=collapsed` gives them. */
export async function renderFolded(url: string, query: string): Promise<string> {
  const params = new URLSearchParams({ query, from: 'now-1h', until: 'now+1m', format: 'collapsed' });
  const res = await fetch(`${url}/pyroscope/render?${params}`);
  if (!res.ok) throw new Error(`render ${query}: ${res.status} ${await res.text()}`);
  return res.text();
}

/** A local HTTP server with a handler, for targets that misbehave. */
export async function startHttp(
  handler: Parameters<typeof createServer>[1],
): Promise<{ address: string; server: Server; stop(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    server,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
