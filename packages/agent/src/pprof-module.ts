import { createRequire } from 'node:module';
import type * as Pprof from '@datadog/pprof';

export type PprofModule = typeof Pprof;
/** The mutable pprof-format object @datadog/pprof returns (the agent does not import pprof-format). */
export type PprofProfile = ReturnType<PprofModule['heap']['profile']>;
export type PprofSourceMapper = InstanceType<PprofModule['SourceMapper']>;

/**
 * Loads @datadog/pprof on first use rather than with a static import: its native addon can fail
 * to load (an unsupported platform, a broken install), and that must leave the host program
 * running unprofiled, not fail its startup. Throws what the loader throws.
 */
export function loadPprof(): PprofModule {
  return createRequire(import.meta.url)('@datadog/pprof') as PprofModule;
}
