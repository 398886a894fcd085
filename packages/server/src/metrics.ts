import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The server's Prometheus metrics, in a registry of their own (no global state): served at
 * /metrics. Names follow Prometheus conventions with the `kiln_` prefix.
 */
export interface ServerMetrics {
  registry: Registry;
  ingestedProfiles: Counter<'tenant' | 'source'>;
  ingestedBytes: Counter<'tenant' | 'source'>;
  rejectedProfiles: Counter<'tenant' | 'reason'>;
  ingestSeconds: Histogram<'source'>;
  queries: Counter<'kind'>;
  querySeconds: Histogram<'kind'>;
  httpRequests: Counter<'route' | 'status'>;
  storeWrites: Counter<never>;
  dataDirBytes: Gauge<never>;
}

export function createMetrics(dataDirBytes: () => number): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kiln_' });
  return {
    registry,
    ingestedProfiles: new Counter({
      name: 'kiln_ingested_profiles_total',
      help: 'Profiles written to the store (one per series and sample type).',
      labelNames: ['tenant', 'source'],
      registers: [registry],
    }),
    ingestedBytes: new Counter({
      name: 'kiln_ingested_bytes_total',
      help: 'Request body bytes of accepted ingest requests.',
      labelNames: ['tenant', 'source'],
      registers: [registry],
    }),
    rejectedProfiles: new Counter({
      name: 'kiln_rejected_profiles_total',
      help: 'Ingest requests or profiles rejected, by reason (the error code in snake_case).',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'kiln_ingest_duration_seconds',
      help: 'Time to decode, split and durably write one ingest request.',
      labelNames: ['source'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queries: new Counter({
      name: 'kiln_queries_total',
      help: 'Queries answered, by kind.',
      labelNames: ['kind'],
      registers: [registry],
    }),
    querySeconds: new Histogram({
      name: 'kiln_query_duration_seconds',
      help: 'Time to answer a query, by kind.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'kiln_http_requests_total',
      help: 'HTTP requests by route and status.',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    storeWrites: new Counter({
      name: 'kiln_store_write_batches_total',
      help: 'Batches written durably to the store.',
      registers: [registry],
    }),
    dataDirBytes: new Gauge({
      name: 'kiln_store_data_bytes',
      help: 'Bytes in the data directory.',
      registers: [registry],
      collect() {
        this.set(dataDirBytes());
      },
    }),
  };
}
