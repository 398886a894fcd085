import { Code, ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import {
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import type { UniversalServerResponse } from '@connectrpc/connect/protocol';
import type { FastifyInstance } from 'fastify';
import { KilnError } from '@kiln/model';

export interface ConnectAdapterOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  readMaxBytes: number;
}

/**
 * Serves Connect and gRPC-Web handlers (HTTP/1.1) from a Fastify scope, like @connectrpc/connect-fastify,
 * with two differences Pyroscope's clients can see: a request body that does not inflate or
 * parse as its message is `invalid_argument` (HTTP 400), as connect-go answers, where connect-es
 * answers `internal` (500); and a wrong content type gets a JSON error body, not an empty 415.
 */
export async function registerConnect(app: FastifyInstance, options: ConnectAdapterOptions): Promise<void> {
  await app.register(async (scope) => {
    const router = createConnectRouter({
      interceptors: options.interceptors,
      readMaxBytes: options.readMaxBytes,
      acceptCompression: [compressionGzip],
      jsonOptions: { ignoreUnknownFields: true },
    });
    options.routes(router);
    // Connect reads bodies itself: every content type passes through untouched.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    for (const handler of router.handlers) {
      scope.post(handler.requestPath, async (req, reply) => {
        const type = String(req.headers['content-type'] ?? '');
        if (!CONNECT_TYPES.test(type)) {
          // Connect answers 415 with an empty body; Kiln says what it expected.
          throw new KilnError(
            'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
            `content type \`${type.slice(0, 100)}\` is not application/proto, application/json or gRPC-Web`,
          );
        }
        try {
          const res = await handler(universalRequestFromNodeRequest(req.raw, reply.raw, undefined, undefined));
          for (const [key, value] of Object.entries(reply.getHeaders())) {
            if (value !== undefined) reply.raw.setHeader(key, value);
          }
          await universalResponseToNodeResponse(await parseErrorsAsInvalid(res), reply.raw);
        } catch (err) {
          if (ConnectError.from(err).code !== Code.Aborted) req.log.error({ err }, 'connect handler failed');
        }
        return reply;
      });
    }
  });
}

const PARSE_ERROR = /^(parse binary: |decompression failed)/;
const CONNECT_TYPES = /^application\/(proto|json|connect\+(proto|json)|grpc-web(-text)?(\+(proto|json))?)\s*(;|$)/i;

/** Rewrites connect-es's `internal` answer to an unparseable request body into `invalid_argument`. */
async function parseErrorsAsInvalid(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const type = res.header?.get('content-type') ?? '';
  if (res.status !== 500 || !type.startsWith('application/json') || !res.body) return res;
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let rewritten: Uint8Array = bytes;
  let status = res.status;
  try {
    const error = JSON.parse(bytes.toString('utf8')) as { code?: string; message?: string };
    if (error.code === 'internal' && PARSE_ERROR.test(error.message ?? '')) {
      status = 400;
      rewritten = Buffer.from(JSON.stringify({ code: 'invalid_argument', message: error.message }));
    }
  } catch {
    // Not a Connect error body: pass it on as it was.
  }
  const header = new Headers(res.header);
  header.delete('content-length');
  return {
    ...res,
    status,
    header,
    body: (async function* () {
      yield rewritten;
    })(),
  };
}
