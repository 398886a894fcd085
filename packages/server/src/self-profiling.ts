import { startProfiling, type CollectedProfile } from '@kiln/agent';
import { throwIfRejected, type IngestService } from './ingest/ingest-service.js';

export interface SelfProfiler {
  stop(): Promise<void>;
}

export const SELF_SERVICE_NAME = 'kiln-server';

/**
 * Profiles the server with Kiln's own Node agent (CPU and heap) and writes the profiles
 * straight into its store, without HTTP, as service `kiln-server`: a new user sees a real flame
 * graph seconds after `npm start`. The first profile is taken after `firstUploadMs`.
 */
export function startSelfProfiling(
  ingest: IngestService,
  tenant: string,
  warn: (message: string, err: unknown) => void,
  uploadIntervalMs = 10_000,
): SelfProfiler {
  const agent = startProfiling({
    appName: SELF_SERVICE_NAME,
    uploadIntervalMs,
    logger: { warn: (message: string, err?: unknown) => warn(message, err) },
    exporter: {
      async export(profile: CollectedProfile) {
        const result = await ingest.ingestPprof(
          tenant,
          profile.pprofGzip,
          {
            labels: { ...profile.labels, service_name: SELF_SERVICE_NAME },
            fallbackTimeMs: profile.startMs,
          },
          'self',
        );
        throwIfRejected(result);
      },
    },
  });
  return { stop: () => agent.stop() };
}
