export type {
  ProfileStore,
  ProfileInput,
  Labels,
  Matcher,
  WriteResult,
  RejectedProfile,
  SelectQuery,
  SelectSeriesQuery,
  LabelQuery,
  TimeSeries,
  RetentionResult,
} from './storage/profile-store.js';
export { openEmbeddedStore, EmbeddedStore, type EmbeddedStoreOptions } from './storage/embedded-store.js';
export { STORAGE_ERRORS, type StorageErrorCode } from './storage/errors.js';
export { STORAGE_LIMITS, type StorageLimits } from './storage/limits.js';
export { LEVELS, DEFAULT_RETENTION, type RetentionPolicy } from './storage/rollups.js';
export { startServer, type RunningServer } from './main.js';
export { loadConfig, defaultConfig, envName, flagName, parseListen, SETTINGS, type ServerConfig } from './config.js';
export { QUERY_ERRORS, QUERY_LIMITS } from './query/errors.js';
export { HTTP_ERRORS } from './http/errors.js';
export { INGEST_ERRORS } from './ingest/errors.js';
export { SCRAPE_ERRORS } from './scrape/errors.js';
export { SCRAPE_CONFIG_FIELDS, PROFILE_DEFAULTS } from './scrape/scrape-config.js';
