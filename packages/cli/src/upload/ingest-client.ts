import { serializePprof } from '@kiln/formats';
import type { Profile } from '@kiln/model';
import { cliError } from '../cli-error.js';

export interface IngestClientOptions {
  /** Base URL of Kiln or any Pyroscope server; a path prefix is kept. */
  serverAddress: string;
  /** The service name; series labels go in `tags`. */
  appName: string;
  tags: Readonly<Record<string, string>>;
  authToken?: string;
  tenantId?: string;
  /** Deadline of one request. */
  requestTimeoutMs?: number;
}

export interface IngestUpload {
  profile: Profile;
  /** Unix ms; `until` is sent rounded up so a window is never empty. */
  startMs: number;
  endMs: number;
  /** Pyroscope's `spyName`: `perf`, `austin`, `nodespy`, `kiln-upload`... */
  spyName: string;
  /** This upload's series instead of the client's (`kiln node-agent`: one per workload). */
  series?: { appName: string; tags: Readonly<Record<string, string>> };
}

export const INGEST_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Sends profiles to a server's legacy `/ingest` as gzipped pprof, the route every Pyroscope
 * server (and Kiln) accepts: `name=<app>{tags}`, `from`/`until` in Unix seconds, `spyName`.
 * The server makes one series per sample type (CPU windows are `process_cpu:cpu:nanoseconds`).
 */
export class IngestClient {
  constructor(private readonly options: IngestClientOptions) {}

  url(upload: IngestUpload): URL {
    const url = new URL(`${this.options.serverAddress.replace(/\/+$/, '')}/ingest`);
    const series = upload.series ?? this.options;
    const tags = Object.entries(series.tags).map(([k, v]) => `${k}=${v}`);
    url.searchParams.set('name', `${series.appName}{${tags.join(',')}}`);
    url.searchParams.set('from', String(Math.floor(upload.startMs / 1000)));
    url.searchParams.set(
      'until',
      String(Math.max(Math.ceil(upload.endMs / 1000), Math.floor(upload.startMs / 1000) + 1)),
    );
    url.searchParams.set('format', 'pprof');
    url.searchParams.set('spyName', upload.spyName);
    return url;
  }

  /**
   * Rejects with ERR_CLI_SERVER carrying the server's code and message; `details.retryable` is
   * 1 for network errors, timeouts, 408, 429 and 5xx.
   */
  async send(upload: IngestUpload): Promise<void> {
    const body = serializePprof({
      ...upload.profile,
      timeNs: upload.startMs * 1e6,
      durationNs: (upload.endMs - upload.startMs) * 1e6,
    });
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (this.options.authToken) headers.authorization = `Bearer ${this.options.authToken}`;
    if (this.options.tenantId) headers['x-scope-orgid'] = this.options.tenantId;
    const url = this.url(upload);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? INGEST_REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw cliError('ERR_CLI_SERVER', `${url.origin} could not be reached: ${cause}`, { retryable: 1 });
    }
    if (res.ok) {
      await res.arrayBuffer();
      return;
    }
    throw cliError('ERR_CLI_SERVER', `${url.origin} answered ${res.status}: ${await describe(res)}`, {
      status: res.status,
      retryable: res.status === 408 || res.status === 429 || res.status >= 500 ? 1 : 0,
    });
  }
}

/** The server's `{code, message}` as `CODE: message`, else the body's first 300 characters. */
export async function describe(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const json = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof json.message === 'string')
      return typeof json.code === 'string' ? `${json.code}: ${json.message}` : json.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || res.statusText;
}
