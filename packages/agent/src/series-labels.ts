import { AgentError, AgentErrorCode } from './agent-error.js';

/** Kept equal to package.json's version by a test (series-labels.test.ts). */
export const AGENT_VERSION = '0.1.0';
export const AGENT_SCOPE_NAME = 'kiln.agent/nodejs';

/** Characters the official SDK forbids in app names and tags: they delimit Pyroscope's `name`. */
const RESERVED = /[{},=]/;
/** Pyroscope's label-name alphabet (grafana/pyroscope api/model/labelset/validate.go). */
const LABEL_NAME = /^[A-Za-z0-9_.]+$/;

/**
 * The labels every profile carries: the same keys the official Pyroscope Node SDK sends
 * (`otel.scope.name`, `otel.scope.version`, `process.runtime.name`, `process.runtime.version`),
 * naming Kiln's agent as the scope, then the user's tags. A tag with the same key replaces the
 * default in place, as the SDK does.
 *
 * @example
 *   buildSeriesLabels({ env: 'prod' });
 *   // { 'otel.scope.name': 'kiln.agent/nodejs', 'otel.scope.version': '0.1.0',
 *   //   'process.runtime.name': 'nodejs', 'process.runtime.version': '20.20.2', env: 'prod' }
 */
export function buildSeriesLabels(
  tags: Readonly<Record<string, string | number>> = {},
  nodeVersion: string = process.versions.node,
): Record<string, string> {
  const labels: Record<string, string> = {};
  const defaults: Record<string, string> = {
    'otel.scope.name': AGENT_SCOPE_NAME,
    'otel.scope.version': AGENT_VERSION,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': nodeVersion,
  };
  for (const [key, value] of Object.entries(defaults)) if (!(key in tags)) labels[key] = value;
  for (const [key, value] of Object.entries(tags)) labels[key] = String(value);
  return labels;
}

/**
 * Pyroscope's series name, `app{k=v,k2=v2}`, labels in the given order (not sorted: the SDK
 * keeps insertion order and servers normalize). Braces are always present.
 *
 * @example
 *   formatSeriesName('shop', { env: 'prod', region: 'eu' }); // 'shop{env=prod,region=eu}'
 */
export function formatSeriesName(appName: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return `${appName}{${pairs.join(',')}}`;
}

/** Throws ERR_AGENT_INVALID_OPTIONS for an app name or tags a Pyroscope server would reject. */
export function validateSeries(appName: string, tags: Readonly<Record<string, unknown>>): void {
  if (typeof appName !== 'string' || appName.trim() === '') {
    throw new AgentError(AgentErrorCode.invalidOptions, 'appName is required (Pyroscope rejects an empty name)');
  }
  if (RESERVED.test(appName)) {
    throw new AgentError(AgentErrorCode.invalidOptions, `appName "${appName}" must not contain '{', '}', ',' or '='`);
  }
  for (const [key, value] of Object.entries(tags)) {
    if (!LABEL_NAME.test(key)) {
      throw new AgentError(AgentErrorCode.invalidOptions, `tag name "${key}" must match [A-Za-z0-9_.]+`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new AgentError(
        AgentErrorCode.invalidOptions,
        `tag "${key}" must be a string or number, got ${typeof value}`,
      );
    }
    if (RESERVED.test(String(value))) {
      throw new AgentError(
        AgentErrorCode.invalidOptions,
        `tag "${key}" value "${value}" must not contain '{', '}', ',' or '='`,
      );
    }
  }
}
