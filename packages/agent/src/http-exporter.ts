import http from 'node:http';
import https from 'node:https';
import { AgentError, AgentErrorCode } from './agent-error.js';
import type { CollectedProfile, ProfileExporter } from './exporter.js';
import { AGENT_VERSION, formatSeriesName } from './series-labels.js';

export interface HttpExporterOptions {
  /** Base URL of any Pyroscope-compatible server; a path prefix is kept (`https://h/pyroscope`). */
  serverAddress: string;
  appName: string;
  /** Sent as `Authorization: Bearer <token>`; wins over basic auth, as in the official SDK. */
  authToken?: string;
  /** Sent as `Authorization: Basic ...` when both are set. */
  basicAuthUser?: string;
  basicAuthPassword?: string;
  /** Sent as `X-Scope-OrgID`. */
  tenantId?: string;
  /** Whole-request deadline, connect to last response byte. Default 10 000. */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MAX_ERROR_BODY_BYTES = 1024;

/**
 * The legacy ingest URL exactly as the official Pyroscope Node SDK 0.6.x builds it, parameters
 * in its order: `/ingest?format=pprof&from=<s>&name=<app{labels}>&spyName=nodespy&until=<s>`
 * and, for CPU profiles, `&sampleRate=<Hz>`. Times are Unix seconds, floored.
 *
 * One deliberate difference: the SDK sends `sampleRate=ceil(1e6 / samplingDurationMs)` (a bug,
 * see testdata/pyroscope-nodejs/README.md); this sends the real rate, 1e6 / interval µs. Servers
 * take the period from the pprof itself, so neither value changes what they store.
 *
 * @example
 *   buildIngestUrl('http://localhost:4040', 'shop', profile).toString();
 *   // http://localhost:4040/ingest?format=pprof&from=1795585764&name=shop%7B...%7D&spyName=nodespy&until=1795585774&sampleRate=100
 */
export function buildIngestUrl(serverAddress: string, appName: string, profile: CollectedProfile): URL {
  const url = new URL(`${serverAddress.replace(/\/+$/, '')}/ingest`);
  url.searchParams.append('format', 'pprof');
  url.searchParams.append('from', String(Math.floor(profile.startMs / 1000)));
  url.searchParams.append('name', formatSeriesName(appName, profile.labels));
  url.searchParams.append('spyName', 'nodespy');
  url.searchParams.append('until', String(Math.floor(profile.endMs / 1000)));
  if (profile.sampleRateHz !== undefined) url.searchParams.append('sampleRate', String(profile.sampleRateHz));
  return url;
}

/**
 * Uploads each profile to `POST {serverAddress}/ingest` as the official Pyroscope Node SDK
 * 0.6.x does: the gzipped pprof as the raw body, `Content-Type: application/octet-stream`, no
 * multipart and no `Content-Encoding`. Rejects with an `AgentError` whose `retryable` says
 * whether to try again (timeouts, network errors, 408, 429, 5xx).
 *
 * Sockets are unref()'d: an upload in flight never keeps the host process alive.
 *
 * @example
 *   const exporter = new HttpExporter({ serverAddress: 'http://pyroscope:4040', appName: 'shop' });
 *   startProfiling({ appName: 'shop', exporter });
 */
export class HttpExporter implements ProfileExporter {
  private readonly options: HttpExporterOptions;
  private readonly transport: typeof http | typeof https;
  private readonly connectionPool: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly requestTimeoutMs: number;

  constructor(options: HttpExporterOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.serverAddress);
    } catch {
      throw new AgentError(AgentErrorCode.invalidOptions, `serverAddress "${options.serverAddress}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new AgentError(
        AgentErrorCode.invalidOptions,
        `serverAddress "${options.serverAddress}" must be http:// or https://`,
      );
    }
    this.options = options;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!(this.requestTimeoutMs > 0)) {
      throw new AgentError(AgentErrorCode.invalidOptions, `requestTimeoutMs must be > 0, got ${this.requestTimeoutMs}`);
    }
    this.transport = parsed.protocol === 'https:' ? https : http;
    // Own pool: keep-alive helps when catching up after an outage, and close() can drop it.
    this.connectionPool = new this.transport.Agent({ keepAlive: true, maxSockets: 2 });
    this.headers = buildHeaders(options);
  }

  export(profile: CollectedProfile): Promise<void> {
    const url = buildIngestUrl(this.options.serverAddress, this.options.appName, profile);
    const body = Buffer.from(profile.pprofGzip.buffer, profile.pprofGzip.byteOffset, profile.pprofGzip.byteLength);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: AgentError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (err) reject(err);
        else resolve();
      };
      const req = this.transport.request(
        url,
        {
          method: 'POST',
          agent: this.connectionPool,
          headers: { ...this.headers, 'content-length': String(body.byteLength) },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            res.resume();
            finish();
            return;
          }
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < MAX_ERROR_BODY_BYTES) {
              chunks.push(chunk);
              kept += chunk.byteLength;
            }
          });
          const fail = (): void => {
            const text = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8').trim();
            finish(statusError(status, text, res.headers['retry-after']));
          };
          res.on('end', fail);
          res.on('close', fail);
          res.on('error', fail);
        },
      );
      req.on('socket', (socket) => socket.unref());
      req.on('error', (err: NodeJS.ErrnoException) => {
        finish(
          new AgentError(AgentErrorCode.uploadNetwork, `upload to ${url.origin} failed: ${err.code ?? err.message}`, {
            retryable: true,
            details: { code: err.code ?? '', message: err.message },
          }),
        );
      });
      const deadline = setTimeout(() => {
        finish(
          new AgentError(
            AgentErrorCode.uploadTimeout,
            `upload to ${url.origin} got no answer within requestTimeoutMs=${this.requestTimeoutMs}`,
            { retryable: true, details: { requestTimeoutMs: this.requestTimeoutMs } },
          ),
        );
        req.destroy();
      }, this.requestTimeoutMs);
      deadline.unref();
      req.end(body);
    });
  }

  /** Closes idle keep-alive connections. Uploads still in flight finish or time out. */
  close(): void {
    this.connectionPool.destroy();
  }
}

function buildHeaders(options: HttpExporterOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'user-agent': `kiln-agent/${AGENT_VERSION} node/${process.versions.node}`,
  };
  if (options.authToken !== undefined && options.authToken !== '') {
    headers['authorization'] = `Bearer ${options.authToken}`;
  } else if (options.basicAuthUser && options.basicAuthPassword) {
    const credentials = Buffer.from(`${options.basicAuthUser}:${options.basicAuthPassword}`).toString('base64');
    headers['authorization'] = `Basic ${credentials}`;
  }
  if (options.tenantId) headers['x-scope-orgid'] = options.tenantId;
  return headers;
}

function statusError(status: number, body: string, retryAfter: string | undefined): AgentError {
  const retryable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfterMs(retryAfter, Date.now());
  return new AgentError(
    AgentErrorCode.uploadStatus,
    `server answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`,
    { retryable, ...(retryAfterMs !== undefined && { retryAfterMs }), details: { status, body } },
  );
}

/** `Retry-After` as seconds or an HTTP date, in ms from `nowMs`; undefined when absent or bad. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const dateMs = Date.parse(value);
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}
