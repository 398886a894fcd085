export { FormatErrorCode, FORMAT_ERROR_DOCS, formatError } from './errors.js';
export {
  DECODE_LIMITS,
  DEFAULT_DECODE_LIMITS,
  resolveLimits,
  type DecodeLimits,
  type DecodeOptions,
  type ParseOptions,
} from './limits.js';
export { gunzip, gzip, isGzip } from './gzip.js';
export { isPprof, parsePprof, decodePprof } from './pprof.js';
export { serializePprof, type SerializePprofOptions } from './pprof-serialize.js';
export {
  isFolded,
  parseFolded,
  parseLines,
  serializeFolded,
  type ParseFoldedOptions,
  type SerializeFoldedOptions,
} from './folded.js';
export { isPerfScript, parsePerfScript } from './perf-script.js';
export { isSpeedscope, parseSpeedscope, serializeSpeedscope } from './speedscope.js';
export {
  isFlamebearerJson,
  parseFlamebearerJson,
  serializeFlamebearer,
  flamebearerMetadata,
  type FlamebearerProfile,
  type FlamebearerMetadata,
  type SerializeFlamebearerOptions,
} from './flamebearer-json.js';
export { detectFormat, parseProfile, INPUT_FORMATS, type InputFormat, type ParsedProfile } from './detect.js';
export { scanVarints } from './varint-scan.js';
export { parseTrie, parseTree, type ParsePyroscopeTreeOptions, type PyroscopeTreeFormat } from './pyroscope-tree.js';
export { serializeTrie, serializeTree, type SerializePyroscopeTreeOptions } from './pyroscope-tree-serialize.js';
export { buildStandaloneHtml, escapeScript, STANDALONE_DATA_ID, type StandaloneData } from './standalone-html.js';
