import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  DEFAULT_DECODE_LIMITS,
  gunzip,
  isGzip,
  parseFolded,
  parseLines,
  parseSpeedscope,
  parseTrie,
  parseTree,
} from '@kiln/formats';
import { buildCallTree, type Profile } from '@kiln/model';
import { throwIfRejected } from '../ingest/ingest-service.js';
import { ingestError } from '../ingest/errors.js';
import { checkIngestFormat, parseIngestParams, profileTypeFor, seriesLabelsFor } from '../ingest/legacy-params.js';
import type { ProfileInput } from '../storage/profile-store.js';
import { sendError, tenantOf, type HttpDeps } from './server.js';

type Query = Record<string, string | string[] | undefined>;

/**
 * Pyroscope's legacy ingest API, `POST /ingest` and `/pyroscope/ingest`, as every v0.x agent,
 * `pyroscope exec`, the Go, Java, Node, Ruby and older Python/Rust SDKs send it. Bodies are read
 * whole (up to `max_request_body_bytes`) and gunzipped when `Content-Encoding: gzip` says so or
 * the bytes start with gzip's magic.
 */
export function registerIngestRoutes(app: FastifyInstance, deps: HttpDeps): void {
  void app.register(async (scope) => {
    // Every content type arrives as bytes; formats are decided from the query and the bytes.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxRequestBodyBytes }, (_req, body, done) =>
      done(null, body),
    );
    const handler = (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => ingest(req, reply, deps);
    scope.post('/ingest', handler);
    scope.post('/pyroscope/ingest', handler);
  });
}

async function ingest(req: FastifyRequest, reply: FastifyReply, deps: HttpDeps): Promise<FastifyReply> {
  try {
    const tenant = tenantOf(req, deps.defaultTenant);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    deps.ingest.admit(tenant, raw.length);
    const query: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.query as Query)) query[k] = Array.isArray(v) ? v[0] : v;
    const contentType = String(req.headers['content-type'] ?? '');
    const params = parseIngestParams(query, contentType, Date.now());
    checkIngestFormat(params.format);
    const pprofBody = params.format === 'pprof' || params.format === 'pprof-multipart';
    const labels = storableLabels(
      seriesLabelsFor(params.name, { spyName: params.spyName, body: pprofBody ? 'pprof' : 'stacks' }),
    );
    const limits = deps.ingest.decodeLimits;
    if (raw.length === 0) throw ingestError('ERR_INGEST_EMPTY', 'the request body is empty');

    let inputs: ProfileInput[];
    if (params.format === 'pprof') {
      inputs = deps.ingest.decodePprof(raw, { labels, fallbackTimeMs: params.fromMs });
    } else if (params.format === 'pprof-multipart') {
      const form = await readForm(raw, contentType);
      const profile = form.get('profile');
      if (!(profile instanceof Blob))
        throw ingestError('ERR_INGEST_MISSING_PART', 'the multipart body has no `profile` part');
      if (form.get('prev_profile')) {
        throw ingestError(
          'ERR_INGEST_UNSUPPORTED_FORMAT',
          'a `prev_profile` part (cumulative profiles of old Go agents) is not supported; upgrade the client to send deltas',
        );
      }
      const config = form.get('sample_type_config');
      const displayNames = config instanceof Blob ? parseSampleTypeConfig(await config.text()) : {};
      inputs = deps.ingest.decodePprof(new Uint8Array(await profile.arrayBuffer()), {
        labels,
        fallbackTimeMs: params.fromMs,
        displayNames,
      });
    } else if (params.name.profileId !== undefined) {
      // v0.x exemplars: Pyroscope accepts and drops stack uploads that carry a profile_id.
      inputs = [];
    } else {
      const type = profileTypeFor({ suffix: params.name.suffix, sampleRate: params.sampleRate });
      const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
      const bytes =
        encoding === 'gzip' || isGzip(raw)
          ? gunzip(raw, limits.maxDecompressedBytes ?? DEFAULT_DECODE_LIMITS.maxDecompressedBytes)
          : raw;
      const options = { limits };
      const profile: Profile | null =
        params.format === 'trie'
          ? parseTrie(bytes, options)
          : params.format === 'tree'
            ? parseTree(bytes, options)
            : params.format === 'lines'
              ? parseLines(bytes, options)
              : params.format === 'speedscope'
                ? parseSpeedscope(bytes, options)
                : parseFolded(bytes, options);
      if (profile === null) throw ingestError('ERR_INGEST_INVALID_BODY', `the body is not ${params.format} data`);
      const tree = buildCallTree(profile);
      const scaled = type.multiplier === 1 ? tree : tree.scaled(type.multiplier);
      inputs =
        scaled.totalValue === 0
          ? []
          : [{ labels, profileType: type.profileTypeId, timeMs: params.fromMs, tree: scaled }];
    }
    throwIfRejected(await deps.ingest.ingestProfiles(tenant, inputs, 'ingest', raw.length));
    return reply.code(200).send();
  } catch (err) {
    return sendError(reply, err);
  }
}

/** Series labels Kiln keeps: Pyroscope's private `__session_id__` (dropped by its distributor too) goes. */
function storableLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('__')) out[k] = v;
  return out;
}

/** Parses a multipart/form-data body with the platform's own parser (undici's FormData). */
async function readForm(body: Buffer, contentType: string): Promise<FormData> {
  try {
    return await new Response(
      new Uint8Array(body.buffer, body.byteOffset, body.byteLength) as Uint8Array<ArrayBuffer>,
      { headers: { 'content-type': contentType } },
    ).formData();
  } catch (err) {
    throw ingestError('ERR_INGEST_INVALID_BODY', `the multipart body does not parse: ${(err as Error).message}`);
  }
}

/** `sample_type_config` JSON: the display names it gives sample types. */
function parseSampleTypeConfig(text: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw ingestError('ERR_INGEST_INVALID_BODY', 'the `sample_type_config` part is not JSON');
  }
  const out: Record<string, string> = {};
  if (doc && typeof doc === 'object') {
    for (const [type, config] of Object.entries(doc as Record<string, unknown>)) {
      const name = (config as Record<string, unknown> | null)?.['display-name'];
      if (typeof name === 'string' && name !== '') out[type] = name;
    }
  }
  return out;
}
