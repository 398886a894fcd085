export { startProfiling, type Agent, type AgentStats } from './agent.js';
export {
  AGENT_DEFAULTS,
  type AgentOptions,
  type CpuProfilingOptions,
  type HeapProfilingOptions,
  type SourceMapOptions,
} from './agent-options.js';
export type { CollectedProfile, ProfileExporter, ProfileKind } from './exporter.js';
export { HttpExporter, buildIngestUrl, type HttpExporterOptions } from './http-exporter.js';
export { configFromEnv, type EnvConfig } from './config-from-env.js';
export { startProfilingFromEnv } from './start-from-env.js';
export { AgentError, AgentErrorCode, AGENT_ERROR_DOCS, isRetryable } from './agent-error.js';
export type { AgentLogger, AgentLoggerObject, AgentLogLevel } from './logger.js';
export { AGENT_VERSION, buildSeriesLabels, formatSeriesName } from './series-labels.js';
export type { UploadStats } from './upload-queue.js';
export { getLabels, setLabels, wrapWithLabels, type SampleLabels } from './sample-labels.js';
