import { parsePprof, type DecodeLimits } from '@kiln/formats';
import { KilnError, type Profile } from '@kiln/model';
import type { ProfileInput, WriteResult } from '../storage/profile-store.js';
import { splitPprof, type SplitOptions } from './pprof-split.js';
import type { TenantRateLimiter } from './rate-limit.js';

/** The narrow part of a store that ingest needs. */
export interface ProfileWriter {
  write(tenant: string, profiles: readonly ProfileInput[]): Promise<WriteResult>;
}

/** What ingest reports to metrics; main.ts connects it to Prometheus counters. */
export interface IngestObserver {
  written(tenant: string, source: string, profiles: number, bytes: number, seconds: number): void;
  rejected(tenant: string, reason: string, count: number): void;
}

export interface IngestServiceOptions {
  decodeLimits: Partial<DecodeLimits>;
  rateLimiter: TenantRateLimiter;
  observer?: IngestObserver;
}

/**
 * decode -> validate -> normalize -> write, for every ingest route (legacy /ingest, Connect push,
 * the server's own profiles). Profiles a store limit rejects are named in the result; when any
 * is rejected the caller answers with the first rejection's error, the rest having been written.
 */
export class IngestService {
  constructor(
    private readonly writer: ProfileWriter,
    private readonly options: IngestServiceOptions,
  ) {}

  get decodeLimits(): Partial<DecodeLimits> {
    return this.options.decodeLimits;
  }

  /** Refuses a request over the tenant's ingest rate (ERR_INGEST_RATE_LIMITED, with `retryAfterSeconds`). */
  admit(tenant: string, bytes: number): void {
    const wait = this.options.rateLimiter.take(tenant, bytes);
    if (wait > 0) {
      this.options.observer?.rejected(tenant, 'rate_limited', 1);
      throw new KilnError(
        'ERR_INGEST_RATE_LIMITED',
        `tenant ${tenant} is over its ingest rate (ingestRateBytesPerSecond); retry in ${wait} s`,
        { retryAfterSeconds: wait, reason: 'rate_limited' },
      );
    }
  }

  /** Decodes a pprof (gzip or not) and writes one profile per sample type and label set. */
  async ingestPprof(tenant: string, bytes: Uint8Array, options: SplitOptions, source: string): Promise<WriteResult> {
    const started = performance.now();
    return this.write(tenant, this.decodePprof(bytes, options), source, bytes.length, started);
  }

  /** Decodes a pprof into the profiles the store keeps (see splitPprof), without writing. */
  decodePprof(bytes: Uint8Array, options: SplitOptions): ProfileInput[] {
    if (bytes.length === 0) throw new KilnError('ERR_INGEST_EMPTY', 'the profile is empty (0 bytes)');
    const profile = parsePprof(bytes, { limits: this.options.decodeLimits, stringIds: true });
    if (profile === null) {
      throw new KilnError('ERR_INGEST_NOT_PPROF', 'the body is not a pprof profile (gzipped or plain protobuf)');
    }
    return splitPprof(profile, options);
  }

  /** Writes profiles already decoded and labelled (text formats, the server's own profiles). */
  async ingestProfiles(
    tenant: string,
    inputs: readonly ProfileInput[],
    source: string,
    bytes: number,
  ): Promise<WriteResult> {
    return this.write(tenant, inputs, source, bytes, performance.now());
  }

  /** Splits a decoded profile (any format) into series; see splitPprof. */
  split(profile: Profile, options: SplitOptions): ProfileInput[] {
    return splitPprof(profile, options);
  }

  private async write(
    tenant: string,
    inputs: readonly ProfileInput[],
    source: string,
    bytes: number,
    started: number,
  ): Promise<WriteResult> {
    const result = inputs.length === 0 ? { written: 0, rejected: [] } : await this.writer.write(tenant, inputs);
    const observer = this.options.observer;
    if (observer) {
      observer.written(tenant, source, result.written, bytes, (performance.now() - started) / 1000);
      const byReason = new Map<string, number>();
      for (const r of result.rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
      for (const [reason, count] of byReason) observer.rejected(tenant, reason, count);
    }
    return result;
  }
}

/** Throws the first rejection of a partly written batch as a KilnError (the others are counted). */
export function throwIfRejected(result: WriteResult): void {
  const first = result.rejected[0];
  if (!first) return;
  const others = result.rejected.length - 1;
  throw new KilnError(
    first.code,
    `${first.message}${others > 0 ? ` (and ${others} more rejected)` : ''}; ${result.written} profile(s) of the request were written`,
    { reason: first.reason },
  );
}
