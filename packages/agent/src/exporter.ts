export type ProfileKind = 'cpu' | 'heap';

/**
 * One profile the agent took, ready to send.
 *
 * `cpu` is the wall-clock profile of @datadog/pprof's time profiler: sample types
 * `samples/count`, `wall/nanoseconds` and, when CPU time collection is available,
 * `cpu/nanoseconds` (the same shape the official Pyroscope Node SDK uploads). `heap` is the
 * sampled in-use heap: `inuse_objects/count`, `inuse_space/bytes`.
 */
export interface CollectedProfile {
  readonly kind: ProfileKind;
  /** gzip-compressed pprof (profile.proto). */
  readonly pprofGzip: Uint8Array;
  /** Unix ms. For `cpu` the window sampled; for `heap` the previous and this collection. */
  readonly startMs: number;
  readonly endMs: number;
  /**
   * The series labels besides the app name: the agent's own (`otel.scope.name`,
   * `process.runtime.name`, ...) then the user's tags, which override them. Insertion order is
   * the order they are sent in.
   */
  readonly labels: Readonly<Record<string, string>>;
  /** Sampling rate of a `cpu` profile (1e6 / sampling interval µs); absent for `heap`. */
  readonly sampleRateHz?: number;
}

/**
 * Where profiles go. The agent calls `export` for one profile at a time, in collection order,
 * and retries a rejected promise with backoff unless the error has `retryable: false`
 * (see `AgentError`). Implementations need not catch anything; they must not keep the
 * profile's bytes after the promise settles.
 *
 * @example
 *   // Write profiles straight into a store instead of over HTTP:
 *   const exporter: ProfileExporter = {
 *     async export(profile) {
 *       await store.write({ service: 'kiln-server', ...profile });
 *     },
 *   };
 *   startProfiling({ appName: 'kiln-server', exporter });
 */
export interface ProfileExporter {
  export(profile: CollectedProfile): Promise<void>;
}
