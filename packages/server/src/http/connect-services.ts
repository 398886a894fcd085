import { create, fromBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import type { FastifyInstance } from 'fastify';
import {
  FlameGraphDiffSchema,
  FlameGraphSchema,
  ProfileFormat,
  PusherService,
  QuerierService,
  TimeSeriesAggregationType,
  fromLabelPairs,
  pprof,
  toLabelPairs,
  type SelectMergeStacktracesRequest,
} from '@kiln/api';
import { serializePprof } from '@kiln/formats';
import { KilnError, isKilnError, type Flamebearer } from '@kiln/model';
import { throwIfRejected } from '../ingest/ingest-service.js';
import type { ProfileInput } from '../storage/profile-store.js';
import { parseLabelSelector } from '../query/selector.js';
import type { Selection } from '../query/query-service.js';
import { registerConnect } from './connect-adapter.js';
import { statusOf } from './errors.js';
import { checkTenant, type HttpDeps } from './server.js';

/**
 * Pyroscope's Connect services: `push.v1.PusherService/Push` (Grafana Alloy, the Rust, Python
 * and .NET SDKs) and `querier.v1.QuerierService` (Grafana's Pyroscope data source and UI).
 * Connect and gRPC-Web over HTTP/1.1; binary and JSON; gzip bodies.
 */
export async function registerConnectServices(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  await registerConnect(app, {
    routes: (router) => routes(router, deps),
    interceptors: [kilnErrors(deps)],
    readMaxBytes: deps.maxRequestBodyBytes,
  });
}

function tenantOf(ctx: HandlerContext, defaultTenant: string): string {
  return checkTenant(ctx.requestHeader.get('x-scope-orgid'), defaultTenant);
}

/** KilnErrors become Connect errors with the code matching their HTTP status; the Kiln code leads the message. */
function kilnErrors(deps: HttpDeps): Interceptor {
  return (next) => async (req) => {
    // Query methods are timed as queries (snake_case kinds, like the HTTP routes'); Push is ingest.
    const query = req.service.typeName === QuerierService.typeName;
    const end = query ? deps.metrics.querySeconds.startTimer({ kind: snakeCase(req.method.name) }) : undefined;
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      if (isKilnError(err)) {
        const e = new ConnectError(`${err.code}: ${err.message}`, connectCode(statusOf(err.code)));
        e.metadata.set('kiln-error-code', err.code);
        throw e;
      }
      throw new ConnectError('internal error; see the server log', Code.Internal, undefined, undefined, err);
    } finally {
      end?.();
    }
  };
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? '' : '_') + c.toLowerCase());
}

function connectCode(status: number): Code {
  switch (status) {
    case 400:
      return Code.InvalidArgument;
    case 404:
      return Code.NotFound;
    case 413:
    case 429:
      return Code.ResourceExhausted;
    case 501:
      return Code.Unimplemented;
    case 503:
      return Code.Unavailable;
    default:
      return status < 500 ? Code.InvalidArgument : Code.Internal;
  }
}

function ms(value: bigint): number {
  return Number(value);
}

function int64(value: number): bigint {
  return BigInt(Math.round(value));
}

/** Flamebearer levels (single or diff) as the proto's int64 `Level`s. */
function levelsOf(fb: Flamebearer): { values: bigint[] }[] {
  return fb.levels.map((values) => ({ values: values.map(int64) }));
}

function flameGraphMessage(fb: Flamebearer): ReturnType<typeof create<typeof FlameGraphSchema>> {
  return create(FlameGraphSchema, {
    names: fb.names,
    levels: levelsOf(fb),
    total: int64(fb.numTicks),
    maxSelf: int64(fb.maxSelf),
  });
}

function routes(router: ConnectRouter, deps: HttpDeps): void {
  const { query, ingest } = deps;
  const count = (kind: string): void => deps.metrics.queries.inc({ kind });

  const selectionOf = (
    tenant: string,
    req: Pick<SelectMergeStacktracesRequest, 'profileTypeID' | 'labelSelector' | 'start' | 'end'>,
  ): Selection => {
    const profileType = req.profileTypeID;
    if (profileType === '') throw new KilnError('ERR_QUERY_MISSING_PROFILE_TYPE', 'profile_typeID is required');
    const sel = query.selection(tenant, `${profileType}${req.labelSelector || '{}'}`, ms(req.start), ms(req.end));
    return sel;
  };
  const unsupportedSelectors = (req: {
    stackTraceSelector?: unknown;
    profileIdSelector?: string[];
    traceIdSelector?: string[];
    spanSelector?: string[];
  }): void => {
    if (
      req.stackTraceSelector ||
      req.profileIdSelector?.length ||
      req.traceIdSelector?.length ||
      req.spanSelector?.length
    ) {
      throw new KilnError(
        'ERR_QUERY_UNSUPPORTED',
        'stack trace, profile id, trace id and span selectors are not supported yet; send the query without them',
      );
    }
  };
  const matchersOf = (list: readonly string[]) => list.flatMap((m) => parseLabelSelector(m));
  const rangeOf = (start: bigint, end: bigint): [number, number] => {
    // Pyroscope treats 0/absent as "recent"; Kiln reads it as the last hour.
    const e = end === 0n ? Date.now() : ms(end);
    const s = start === 0n ? e - 3_600_000 : ms(start);
    return [s, e];
  };

  router.service(QuerierService, {
    async profileTypes(req, ctx) {
      count('profile_types');
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const [start, end] = rangeOf(req.start, req.end);
      const ids = await query.profileTypes(tenant, start, Math.max(end, start + 1));
      return {
        profileTypes: ids.map((ID) => {
          const [name = '', sampleType = '', sampleUnit = '', periodType = '', periodUnit = ''] = ID.split(':');
          return { ID, name, sampleType, sampleUnit, periodType, periodUnit };
        }),
      };
    },
    async labelNames(req, ctx) {
      count('label_names');
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const [start, end] = rangeOf(req.start, req.end);
      return { names: await query.labelNames(tenant, matchersOf(req.matchers), start, Math.max(end, start + 1)) };
    },
    async labelValues(req, ctx) {
      count('label_values');
      const tenant = tenantOf(ctx, deps.defaultTenant);
      if (req.name === '') throw new KilnError('ERR_QUERY_MISSING_PARAMETER', 'the label `name` is required');
      const [start, end] = rangeOf(req.start, req.end);
      return {
        names: await query.labelValues(tenant, req.name, matchersOf(req.matchers), start, Math.max(end, start + 1)),
      };
    },
    async series(req, ctx) {
      count('series');
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const [start, end] = rangeOf(req.start, req.end);
      const sets = await query.seriesLabels(
        tenant,
        matchersOf(req.matchers),
        req.labelNames,
        start,
        Math.max(end, start + 1),
      );
      return { labelsSet: sets.map((labels) => ({ labels: toLabelPairs(labels) })) };
    },
    async selectMergeStacktraces(req, ctx) {
      count('select_merge_stacktraces');
      unsupportedSelectors(req);
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const sel = selectionOf(tenant, req);
      const maxNodes = req.maxNodes === undefined ? undefined : Number(req.maxNodes);
      if (req.format === ProfileFormat.PPROF) {
        const profile = await query.mergedProfile(sel, maxNodes);
        return { pprof: { profile: fromBinary(pprof.ProfileSchema, serializePprof(profile, { gzip: false })) } };
      }
      if (req.format !== ProfileFormat.UNSPECIFIED && req.format !== ProfileFormat.FLAMEGRAPH) {
        throw new KilnError(
          'ERR_QUERY_UNSUPPORTED',
          `format ${ProfileFormat[req.format]} is not supported yet; ask for FLAMEGRAPH or PPROF`,
        );
      }
      return { flamegraph: flameGraphMessage(await query.flameGraph(sel, maxNodes)) };
    },
    async selectMergeProfile(req, ctx) {
      count('select_merge_profile');
      unsupportedSelectors(req);
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const sel = selectionOf(tenant, req);
      const maxNodes = req.maxNodes === undefined ? undefined : Number(req.maxNodes);
      const profile = await query.mergedProfile(sel, maxNodes);
      return fromBinary(pprof.ProfileSchema, serializePprof(profile, { gzip: false }));
    },
    async selectSeries(req, ctx) {
      count('select_series');
      unsupportedSelectors(req);
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const sel = selectionOf(tenant, req);
      const aggregation = req.aggregation === TimeSeriesAggregationType.AVERAGE ? 'avg' : 'sum';
      let series = await query.series(sel, req.step * 1000, req.groupBy, aggregation);
      if (req.limit !== undefined && req.limit > 0n) {
        const total = (s: (typeof series)[number]): number => s.points.reduce((a, [, v]) => a + v, 0);
        series = [...series].sort((a, b) => total(b) - total(a)).slice(0, Number(req.limit));
      }
      return {
        series: series.map((s) => ({
          labels: toLabelPairs(s.labels),
          points: s.points.map(([t, value]) => ({ timestamp: BigInt(t), value })),
        })),
      };
    },
    async diff(req, ctx) {
      count('diff');
      const tenant = tenantOf(ctx, deps.defaultTenant);
      if (!req.left || !req.right)
        throw new KilnError('ERR_QUERY_MISSING_PARAMETER', 'a diff needs `left` and `right`');
      unsupportedSelectors(req.left);
      unsupportedSelectors(req.right);
      const maxNodes = req.left.maxNodes === undefined ? undefined : Number(req.left.maxNodes);
      const d = await query.diff(selectionOf(tenant, req.left), selectionOf(tenant, req.right), maxNodes);
      return {
        flamegraph: create(FlameGraphDiffSchema, {
          names: d.names,
          levels: levelsOf(d),
          total: int64(d.numTicks),
          maxSelf: int64(d.maxSelf),
          leftTicks: int64(d.leftTicks),
          rightTicks: int64(d.rightTicks),
        }),
      };
    },
  });

  router.service(PusherService, {
    async push(req, ctx) {
      const tenant = tenantOf(ctx, deps.defaultTenant);
      const bytes = req.series.reduce((a, s) => a + s.samples.reduce((b, x) => b + x.rawProfile.length, 0), 0);
      if (req.series.every((s) => s.samples.length === 0)) {
        throw new KilnError('ERR_INGEST_EMPTY', 'no profiles received');
      }
      ingest.admit(tenant, bytes);
      const inputs: ProfileInput[] = [];
      for (const series of req.series) {
        const all = fromLabelPairs(series.labels);
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(all)) if (!k.startsWith('__')) labels[k] = v;
        if (!labels.service_name) labels.service_name = 'unknown_service';
        const metricName = all['__name__'] || undefined;
        for (const sample of series.samples) {
          inputs.push(...ingest.decodePprof(sample.rawProfile, { labels, metricName, fallbackTimeMs: Date.now() }));
        }
      }
      throwIfRejected(await ingest.ingestProfiles(tenant, inputs, 'push', bytes));
      return {};
    },
  });
}
