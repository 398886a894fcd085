/**
 * `@kiln/agent/otel`: links CPU samples to OpenTelemetry spans. A separate entry so that the
 * main one does not need `@opentelemetry/api` (an optional peer dependency).
 */
export {
  PROFILE_ID_ATTRIBUTE,
  ProfileIdSpanProcessor,
  SPAN_LABELS,
  SpanLabelsContextManager,
  type SpanLabelsOptions,
} from './span-labels-context-manager.js';
