import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { KilnError, isKilnError } from '@kiln/model';
import type { IngestService } from '../ingest/ingest-service.js';
import type { ServerMetrics } from '../metrics.js';
import type { QueryService } from '../query/query-service.js';
import { toErrorBody } from './errors.js';
import { registerRenderRoutes } from './render-routes.js';

export interface HttpDeps {
  query: QueryService;
  ingest: IngestService;
  metrics: ServerMetrics;
  /** True once the store is open and the server may take traffic. */
  isReady: () => boolean;
  defaultTenant: string;
  maxRequestBodyBytes: number;
  logLevel: string;
  /** Extra route groups (ingest, Connect) registered by main.ts. */
  plugins?: ((app: FastifyInstance, deps: HttpDeps) => Promise<void> | void)[];
}

const TENANT = /^[a-zA-Z0-9!\-_.*'()]{1,150}$/;

/** The tenant of a request: `X-Scope-OrgID`, else the configured default (`anonymous`). */
export function tenantOf(req: FastifyRequest, defaultTenant: string): string {
  const header = req.headers['x-scope-orgid'];
  return checkTenant(Array.isArray(header) ? header[0] : header, defaultTenant);
}

/** An `X-Scope-OrgID` value checked (ERR_TENANT_INVALID), or the default when absent or empty. */
export function checkTenant(value: string | null | undefined, defaultTenant: string): string {
  if (value === undefined || value === null || value === '') return defaultTenant;
  if (!TENANT.test(value) || value === '.' || value === '..') {
    throw new KilnError('ERR_TENANT_INVALID', `X-Scope-OrgID \`${value.slice(0, 160)}\` is not a valid tenant id`);
  }
  return value;
}

/** Sends a KilnError (or any error) as `{code, message}` with its status. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body, retryAfter } = toErrorBody(err);
  if (status >= 500 && !isKilnError(err)) reply.log.error({ err }, 'request failed');
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  return reply.code(status).type('application/json').send(body);
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (a URL or headers over 16 KiB,
 * broken framing) still get a JSON `{code, message}`: 431 for the size, 400 otherwise.
 */
function clientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return;
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify(
    tooLarge
      ? {
          code: 'ERR_HTTP_REQUEST_TOO_LARGE',
          message: 'the URL and headers are over 16 KiB (names and queries are limited to that)',
        }
      : { code: 'ERR_HTTP_BAD_REQUEST', message: `malformed HTTP request (${err.code ?? 'parse error'})` },
  );
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Builds the HTTP server: Pyroscope's legacy routes, Connect services (through plugins), and
 * operations (/ready, /metrics). The only place that knows HTTP.
 */
export async function buildHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel },
    bodyLimit: deps.maxRequestBodyBytes,
    // Requests are logged by the onResponse hook below (debug level), not one line each at info.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    clientErrorHandler: clientError,
    forceCloseConnections: 'idle',
  });

  app.setErrorHandler((err, _req, reply) => {
    if (isKilnError(err)) return sendError(reply, err);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(
        reply,
        new KilnError(
          'ERR_HTTP_BODY_TOO_LARGE',
          `the body is over max_request_body_bytes (${deps.maxRequestBodyBytes})`,
        ),
      );
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(
        reply,
        new KilnError('ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported content type'),
      );
    }
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      return sendError(reply, new KilnError('ERR_HTTP_BAD_REQUEST', e.message ?? 'bad request'));
    }
    return sendError(reply, err);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new KilnError('ERR_HTTP_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)),
  );
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ route, status: String(reply.statusCode) });
    if (reply.statusCode >= 500) req.log.warn({ url: req.url, status: reply.statusCode }, 'request failed');
    else req.log.debug({ url: req.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  app.get('/ready', async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).type('text/plain').send('not ready\n');
    return reply.type('text/plain').send('ready\n');
  });
  app.get('/metrics', async (_req, reply) => {
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  registerRenderRoutes(app, deps);
  for (const plugin of deps.plugins ?? []) await plugin(app, deps);
  return app;
}

/**
 * Closes the HTTP server (Fastify's close, which waits for every connection to end): keep-alive
 * connections that finish a request meanwhile are closed as soon as they are idle, and after
 * `timeoutMs` all are. A browser's keep-alive connection or a client stuck sending a request
 * cannot hold a shutdown past the timeout (Kubernetes kills the pod 30 s after SIGTERM); the
 * store waits for the queries those requests started (EmbeddedStore.close).
 */
export async function closeHttpServer(app: FastifyInstance, timeoutMs: number): Promise<void> {
  const idle = setInterval(() => app.server.closeIdleConnections(), 100);
  const cut = setTimeout(() => app.server.closeAllConnections(), timeoutMs);
  try {
    await app.close();
  } finally {
    clearInterval(idle);
    clearTimeout(cut);
  }
}
