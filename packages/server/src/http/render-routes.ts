import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { flamebearerMetadata, serializeFolded, serializePprof } from '@kiln/formats';
import { KilnError } from '@kiln/model';
import { parseIngestTime } from '../ingest/legacy-params.js';
import { parseQuery, profileTypeParts } from '../query/selector.js';
import type { Matcher } from '../storage/profile-store.js';
import type { Selection } from '../query/query-service.js';
import { appNameOf, listApps, selectionForAppName } from './app-names.js';
import { sendError, tenantOf, type HttpDeps } from './server.js';

type Query = Record<string, string | string[] | undefined>;

/** One string parameter: the first when repeated, undefined when absent or empty. */
export function param(q: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = q[name];
    const s = Array.isArray(v) ? v[0] : v;
    if (s !== undefined && s !== '') return s;
  }
  return undefined;
}

export function required(q: Query, name: string): string {
  const v = param(q, name);
  if (v === undefined) throw new KilnError('ERR_QUERY_MISSING_PARAMETER', `the \`${name}\` parameter is required`);
  return v;
}

/** from/until as Pyroscope reads them (digit count picks s/ms/µs/ns; `now-1h`), default last hour. */
export function rangeOf(q: Query, fromName = 'from', untilName = 'until'): { startMs: number; endMs: number } {
  const now = Date.now();
  const from = param(q, fromName);
  const until = param(q, untilName);
  const startMs = from === undefined ? now - 3_600_000 : parseIngestTime(from, now);
  const endMs = until === undefined ? now : parseIngestTime(until, now);
  return { startMs, endMs };
}

export function maxNodesOf(q: Query): number | undefined {
  const text = param(q, 'maxNodes', 'max-nodes', 'max_nodes');
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new KilnError('ERR_QUERY_INVALID_MAX_NODES', `max-nodes \`${text}\` is not a number`);
  return n;
}

/**
 * Pyroscope's HTTP query routes: `/pyroscope/render` (current) and `/render` (v0.x) with their
 * diff forms, label names and values, and `/api/apps`. Queries are
 * `profile_type{matchers}`; v0.x callers may send `name=app.cpu{...}` instead.
 */
export function registerRenderRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const timed = <T>(kind: string, work: () => Promise<T>): Promise<T> => {
    const end = deps.metrics.querySeconds.startTimer({ kind });
    deps.metrics.queries.inc({ kind });
    return work().finally(() => end());
  };

  /** The selection of a render request: `query=type{...}` or v0.x `name=app.suffix{...}`. */
  const selectionOf = async (
    req: FastifyRequest,
    q: Query,
    og: boolean,
  ): Promise<{ sel: Selection; appName?: string }> => {
    const tenant = tenantOf(req, deps.defaultTenant);
    const { startMs, endMs } = rangeOf(q);
    const query = param(q, 'query');
    const name = og ? param(q, 'name') : undefined;
    if (query !== undefined && parseQuery(query).profileType !== '') {
      return { sel: deps.query.selection(tenant, query, startMs, endMs) };
    }
    const appQuery = query ?? name;
    if (appQuery === undefined) throw new KilnError('ERR_QUERY_MISSING_PARAMETER', 'the `query` parameter is required');
    const sel = await selectionForAppName(deps.query, tenant, appQuery, startMs, endMs);
    return { sel, appName: appQuery.split('{')[0] };
  };

  const render = async (req: FastifyRequest, reply: FastifyReply, og: boolean): Promise<FastifyReply> => {
    try {
      const q = req.query as Query;
      const { sel, appName } = await selectionOf(req, q, og);
      const maxNodes = maxNodesOf(q);
      const format = param(q, 'format') ?? 'json';
      if (format === 'pprof') {
        const profile = await timed('render_pprof', () => deps.query.mergedProfile(sel, maxNodes));
        return reply
          .type('application/octet-stream')
          .header('content-disposition', 'attachment; filename="profile.pb.gz"')
          .send(Buffer.from(serializePprof(profile)));
      }
      if (format === 'collapsed' || format === 'folded') {
        const profile = await timed('render_folded', () => deps.query.mergedProfile(sel, maxNodes));
        return reply.type('text/plain').send(serializeFolded(profile));
      }
      if (format !== 'json') {
        throw new KilnError('ERR_QUERY_INVALID_FORMAT', `format \`${format}\` is not json, pprof or collapsed`);
      }
      const groupBy = param(q, 'groupBy');
      const [flamebearer, timeline] = await timed('render', () =>
        Promise.all([deps.query.flameGraph(sel, maxNodes), deps.query.timeline(sel, groupBy)]),
      );
      const parts = profileTypeParts(sel.profileType);
      const metadata: Record<string, unknown> = {
        ...flamebearerMetadata({ type: parts.sampleType, unit: parts.sampleUnit }),
      };
      if (og) {
        Object.assign(metadata, {
          appName: appName ?? appNameOf(sel),
          startTime: Math.floor(sel.startMs / 1000),
          endTime: Math.floor(sel.endMs / 1000),
          query: param(q, 'query') ?? param(q, 'name') ?? '',
          maxNodes: deps.query.maxNodes(maxNodes),
        });
      }
      return reply.send({
        version: 1,
        flamebearer,
        metadata,
        timeline: timeline.timeline,
        groups: timeline.groups,
        heatmap: null,
        ...(og ? { annotations: [] } : {}),
      });
    } catch (err) {
      return sendError(reply, err);
    }
  };

  const renderDiff = async (req: FastifyRequest, reply: FastifyReply, og: boolean): Promise<FastifyReply> => {
    try {
      const q = req.query as Query;
      const tenant = tenantOf(req, deps.defaultTenant);
      const side = async (prefix: 'left' | 'right'): Promise<Selection> => {
        const { startMs, endMs } = rangeOf(q, `${prefix}From`, `${prefix}Until`);
        const query = required(q, `${prefix}Query`);
        if (parseQuery(query).profileType !== '') return deps.query.selection(tenant, query, startMs, endMs);
        return selectionForAppName(deps.query, tenant, query, startMs, endMs);
      };
      const [left, right] = await Promise.all([side('left'), side('right')]);
      const maxNodes = maxNodesOf(q);
      const diff = await timed('render_diff', () => deps.query.diff(left, right, maxNodes));
      const parts = profileTypeParts(left.profileType);
      const metadata: Record<string, unknown> = {
        ...flamebearerMetadata({ type: parts.sampleType, unit: parts.sampleUnit }),
        format: 'double',
      };
      if (og) metadata.appName = `diff_${appNameOf(left)}_${appNameOf(right)}`;
      const { leftTicks, rightTicks, ...flamebearer } = diff;
      return reply.send({
        version: 1,
        flamebearer,
        metadata,
        leftTicks,
        rightTicks,
        timeline: null,
        groups: null,
        heatmap: null,
      });
    } catch (err) {
      return sendError(reply, err);
    }
  };

  for (const og of [false, true]) {
    const prefix = og ? '' : '/pyroscope';
    app.get(`${prefix}/render`, (req, reply) => render(req, reply, og));
    app.get(`${prefix}/render-diff`, (req, reply) => renderDiff(req, reply, og));
  }

  /** Current `/pyroscope/label-values`: `label=__name__` lists profile type ids. */
  app.get('/pyroscope/label-values', async (req, reply) => {
    try {
      const q = req.query as Query;
      const tenant = tenantOf(req, deps.defaultTenant);
      const label = required(q, 'label');
      const { startMs, endMs } = rangeOf(q);
      const matchers = selectorMatchers(param(q, 'query'));
      if (label === '__name__') return reply.send(await deps.query.profileTypes(tenant, startMs, endMs));
      return reply.send(await deps.query.labelValues(tenant, label, matchers, startMs, endMs));
    } catch (err) {
      return sendError(reply, err);
    }
  });

  /** v0.x `/label-values`: `label=__name__` lists app names with their suffix (`api.cpu`). */
  app.get('/label-values', async (req, reply) => {
    try {
      const q = req.query as Query;
      const tenant = tenantOf(req, deps.defaultTenant);
      const label = required(q, 'label');
      const { startMs, endMs } = rangeOf(q);
      const matchers = selectorMatchers(param(q, 'query'));
      if (label === '__name__') {
        const apps = await listApps(deps.query, tenant, matchers, startMs, endMs);
        return reply.send(apps.map((a) => a.name));
      }
      return reply.send(await deps.query.labelValues(tenant, label, matchers, startMs, endMs));
    } catch (err) {
      return sendError(reply, err);
    }
  });

  /** v0.x `/labels`: label names, `__name__` included. */
  app.get('/labels', async (req, reply) => {
    try {
      const q = req.query as Query;
      const tenant = tenantOf(req, deps.defaultTenant);
      const { startMs, endMs } = rangeOf(q);
      const names = await deps.query.labelNames(tenant, selectorMatchers(param(q, 'query')), startMs, endMs);
      return reply.send(['__name__', ...names.filter((n) => n !== '__name__')]);
    } catch (err) {
      return sendError(reply, err);
    }
  });

  /** v0.x `/api/apps`: every app name with its suffix and the metadata a v0.x UI shows. */
  app.get('/api/apps', async (req, reply) => {
    try {
      const tenant = tenantOf(req, deps.defaultTenant);
      const now = Date.now();
      return reply.send(await listApps(deps.query, tenant, [], 0, now + 60_000));
    } catch (err) {
      return sendError(reply, err);
    }
  });
}

/** `query` of label routes: a `{...}` selector, a `type{...}` query, or a v0.x `app.cpu{...}`. */
function selectorMatchers(query: string | undefined): Matcher[] {
  if (query === undefined) return [];
  const brace = query.indexOf('{');
  if (brace < 0) return [];
  return parseQuery(`{${query.slice(brace + 1)}`).matchers;
}
