import {
  buildCallTree,
  decodeFlamebearer,
  isKilnError,
  encodeFlamebearer,
  ProfileBuilder,
  type Flamebearer,
  type Profile,
  type ValueType,
} from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { checkLimit, resolveLimits, type ParseOptions } from './limits.js';
import { bytesToText } from './text.js';

/** Pyroscope's render response: `/render`, `/pyroscope/render`, and the UI's JSON export. */
export interface FlamebearerProfile {
  version: 1;
  flamebearer: Flamebearer;
  metadata: FlamebearerMetadata;
  timeline: null;
  groups: null;
  heatmap: null;
}

export interface FlamebearerMetadata {
  format: 'single' | 'double';
  spyName: string;
  sampleRate: number;
  units: string;
  name: string;
}

/** A JSON object with a `flamebearer` holding `names` and `levels`. */
export function isFlamebearerJson(bytes: Uint8Array): boolean {
  const head = bytesToText(bytes.subarray(0, 4096)).trimStart();
  return head.startsWith('{') && head.includes('"flamebearer"');
}

/**
 * Reads Pyroscope's flamebearer JSON back into a profile (one sample per flame graph node
 * with self > 0). Only the single format; a diff ("double") is refused with
 * ERR_FORMAT_UNSUPPORTED since it is two profiles.
 */
export function parseFlamebearerJson(bytes: Uint8Array, options: ParseOptions = {}): Profile | null {
  if (!isFlamebearerJson(bytes)) return null;
  const limits = resolveLimits(options.limits);
  let json: unknown;
  try {
    json = JSON.parse(bytesToText(bytes));
  } catch (err) {
    throw formatError(FormatErrorCode.invalid, `flamebearer JSON does not parse: ${(err as Error).message}`);
  }
  const doc = json as Partial<FlamebearerProfile>;
  const fb = doc.flamebearer;
  if (typeof fb !== 'object' || fb === null || !Array.isArray(fb.names) || !Array.isArray(fb.levels)) return null;
  const meta: Partial<FlamebearerMetadata> = doc.metadata ?? {};
  if (meta.format === 'double') {
    throw formatError(FormatErrorCode.unsupported, 'a diff flamebearer (format "double") holds two profiles');
  }
  checkLimit(limits, 'maxStrings', fb.names.length, 'flamebearer names');
  checkLimit(limits, 'maxStackDepth', fb.levels.length, 'flamebearer levels');
  let tree;
  try {
    tree = decodeFlamebearer(fb);
  } catch (err) {
    // The model's ERR_FLAMEBEARER_INVALID is, for a file, a broken format like any other.
    if (isKilnError(err, 'ERR_FLAMEBEARER_INVALID')) throw formatError(FormatErrorCode.invalid, err.message);
    throw err;
  }
  const { sampleType, period, periodType } = valueTypeFromMetadata(meta);
  const builder = new ProfileBuilder({ sampleTypes: [sampleType], period, periodType });
  for (let node = 1; node < tree.size; node++) {
    if (tree.self[node] === 0) continue;
    builder.addStack(tree.path(node), [tree.self[node]!]);
    checkLimit(limits, 'maxSamples', builder.sampleCount, 'the flame graph');
  }
  return builder.build();
}

function valueTypeFromMetadata(meta: Partial<FlamebearerMetadata>): {
  sampleType: ValueType;
  period: number;
  periodType: ValueType | null;
} {
  const name = typeof meta.name === 'string' ? meta.name : '';
  const rate = typeof meta.sampleRate === 'number' && meta.sampleRate > 0 ? meta.sampleRate : 100;
  switch (meta.units) {
    case 'samples':
      if (rate === 1e9)
        return { sampleType: { type: name || 'cpu', unit: 'nanoseconds' }, period: 0, periodType: null };
      return {
        sampleType: { type: name || 'samples', unit: 'count' },
        period: Math.round(1e9 / rate),
        periodType: { type: 'cpu', unit: 'nanoseconds' },
      };
    case 'objects':
      return { sampleType: { type: name || 'objects', unit: 'count' }, period: 0, periodType: null };
    case 'bytes':
      return { sampleType: { type: name || 'space', unit: 'bytes' }, period: 0, periodType: null };
    case 'goroutines':
      return { sampleType: { type: name || 'goroutine', unit: 'count' }, period: 0, periodType: null };
    case 'lock_samples':
      return { sampleType: { type: name || 'contentions', unit: 'count' }, period: 0, periodType: null };
    case 'lock_nanoseconds':
      return { sampleType: { type: name || 'delay', unit: 'nanoseconds' }, period: 0, periodType: null };
    default:
      return {
        sampleType: {
          type: name || 'samples',
          unit: typeof meta.units === 'string' && meta.units ? meta.units : 'count',
        },
        period: 0,
        periodType: null,
      };
  }
}

export interface SerializeFlamebearerOptions {
  sampleType?: number;
  /** Default 8192, Pyroscope's `max_nodes` default; cut nodes go into `other`. */
  maxNodes?: number;
  spyName?: string;
}

/**
 * Pyroscope's metadata rules (ExportToFlamebearer): units are the sample unit, except object
 * counts (`objects`) and CPU time, which the UI shows as `samples` at a rate of 1e9 per second
 * so that nanoseconds read as seconds.
 */
export function flamebearerMetadata(type: ValueType, spyName = ''): FlamebearerMetadata {
  let units = type.unit;
  let sampleRate = 100;
  if (['inuse_objects', 'alloc_objects', 'goroutine', 'samples'].includes(type.type)) units = 'objects';
  else if (type.type === 'cpu') {
    units = 'samples';
    sampleRate = 1e9;
  }
  return { format: 'single', spyName, sampleRate, units, name: type.type };
}

/**
 * Writes one sample type of a profile as Pyroscope's render JSON.
 *
 * @example
 *   const json = serializeFlamebearer(profile, { maxNodes: 16_384 });
 */
export function serializeFlamebearer(profile: Profile, options: SerializeFlamebearerOptions = {}): string {
  const sampleType = options.sampleType ?? profile.defaultSampleType;
  const tree = buildCallTree(profile, { sampleType });
  const doc: FlamebearerProfile = {
    version: 1,
    flamebearer: encodeFlamebearer(tree, { maxNodes: options.maxNodes ?? 8192 }),
    metadata: flamebearerMetadata(profile.sampleTypes[sampleType]!, options.spyName),
    timeline: null,
    groups: null,
    heatmap: null,
  };
  return JSON.stringify(doc);
}
