import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The raw query string, to compare parameter order with the official SDK's. */
  readonly rawQuery: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly receivedAtMs: number;
  /** The status this receiver answered with. */
  readonly status: number;
}

/**
 * A real HTTP server standing in for a Pyroscope-compatible ingest endpoint: records every
 * request and answers `status` (settable while running; 0 means never answer, to test hangs).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  status = 200;
  /** Extra response headers, e.g. Retry-After. */
  responseHeaders: Record<string, string> = {};
  private readonly server: http.Server;
  private readonly waiters: Array<() => void> = [];

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  static async start(port = 0): Promise<Receiver> {
    const receiver = new Receiver();
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(port, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests answered 2xx: what the agent counts as uploaded. */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Resolves when `predicate` holds, or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = this.status;
      const url = new URL(req.url ?? '/', 'http://receiver');
      this.requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        rawQuery: url.search.slice(1),
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAtMs: Date.now(),
        status,
      });
      for (const wake of this.waiters.splice(0)) wake();
      if (status === 0) return;
      res.statusCode = status;
      for (const [name, value] of Object.entries(this.responseHeaders)) res.setHeader(name, value);
      res.end(status >= 300 ? '{"code":"unavailable","message":"test receiver says no"}' : '');
    });
  }
}

/** A port nothing listens on (for now): bound, read, released. */
export async function reservePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
