import { formatProfileTypeId, type ValueType } from '@kiln/model';
import { ingestError } from './errors.js';

// The query parameters of Pyroscope's legacy `POST /ingest` (pyroscope-wire-apis.md §1.2-1.6,
// §1.10), as pure functions. Where Pyroscope silently does something odd with malformed input
// (an unclosed `{` loses its last label, `now-1x` is now, an unknown `format` is folded), Kiln
// follows it when a real client could depend on it and otherwise answers a named 400.

/** What `/ingest` reads the body as, decided by `selectIngestFormat`. */
export type IngestFormat = 'trie' | 'tree' | 'lines' | 'jfr' | 'pprof' | 'speedscope' | 'pprof-multipart' | 'folded';

/** The `name` parameter, `app.suffix{key=value,...}`, parsed. */
export interface IngestName {
  /** The app name as sent, trimmed, suffix included: `myapp.cpu`. */
  appName: string;
  /**
   * `appName` without its last `.suffix`: `myapp` (equal to `appName` when it has no dot). The
   * `service_name` of trie, tree, lines, folded and speedscope uploads; pprof uploads use
   * `appName` whole (see seriesLabelsFor).
   */
  serviceName: string;
  /** The text after the last `.` of `appName` (`cpu`), or `''` when it has none. */
  suffix: string;
  /**
   * The labels in braces that may become series labels: trimmed, the last of a repeated key
   * kept, labels with an empty value dropped, and names starting with `__` dropped except
   * `__session_id__` (Pyroscope's `IsLabelAllowedForIngestion`).
   */
  labels: Readonly<Record<string, string>>;
  /**
   * The `profile_id` label when not empty. Pyroscope silently drops trie, tree, lines and folded
   * uploads that carry one (they were exemplars in v0.x); pprof uploads keep it as a label.
   */
  profileId?: string;
}

const APP_NAME = /^[A-Za-z0-9_.\-/]+$/;
const LABEL_NAME = /^[A-Za-z0-9_.]+$/;

/**
 * Parses `/ingest`'s `name`: the app name up to the first `{`, then optional `key=value` pairs
 * separated by `,` and closed by `}`. Keys and values are trimmed; a value may hold anything
 * but `,` and `}` (no quoting exists). A trailing `,` is allowed.
 *
 * @example
 *   parseAppName('myapp.cpu{env=prod, region=eu}');
 *   // { appName: 'myapp.cpu', serviceName: 'myapp', suffix: 'cpu', labels: { env: 'prod', region: 'eu' } }
 */
export function parseAppName(name: string): IngestName {
  const open = name.indexOf('{');
  const appName = (open === -1 ? name : name.slice(0, open)).trim();
  if (appName === '') {
    throw ingestError('ERR_INGEST_INVALID_NAME', 'the `name` parameter is required: an app name, then {labels} if any');
  }
  if (!APP_NAME.test(appName)) {
    const bad = [...appName].find((c) => !APP_NAME.test(c))!;
    throw ingestError(
      'ERR_INGEST_INVALID_NAME',
      `app name "${clip(appName)}" has ${JSON.stringify(bad)}; allowed are A-Z a-z 0-9 _ . - /`,
    );
  }
  const dot = appName.lastIndexOf('.');
  const serviceName = dot === -1 ? appName : appName.slice(0, dot);
  if (serviceName === '') {
    throw ingestError('ERR_INGEST_INVALID_NAME', `app name "${clip(appName)}" is only a suffix; send app${appName}`);
  }
  const labels: Record<string, string> = {};
  if (open !== -1) {
    const close = name.indexOf('}', open);
    if (close === -1) throw ingestError('ERR_INGEST_INVALID_NAME', `name "${clip(name)}" has no closing }`);
    if (name.slice(close + 1).trim() !== '') {
      throw ingestError('ERR_INGEST_INVALID_NAME', `name "${clip(name)}" has text after its closing }`);
    }
    const pairs = name.slice(open + 1, close).split(',');
    if (pairs.length > 0 && pairs[pairs.length - 1]!.trim() === '') pairs.pop();
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq === -1) {
        throw ingestError(
          'ERR_INGEST_INVALID_NAME',
          `label "${clip(pair.trim())}" in name "${clip(name)}" has no =value`,
        );
      }
      const key = pair.slice(0, eq).trim();
      if (!LABEL_NAME.test(key)) {
        throw ingestError(
          'ERR_INGEST_INVALID_NAME',
          key === ''
            ? `a label in name "${clip(name)}" has no name`
            : `label name "${clip(key)}" is not made of A-Z a-z 0-9 _ .`,
        );
      }
      const value = pair.slice(eq + 1).trim();
      if (key.startsWith('__') && key !== '__session_id__') continue;
      if (value === '') delete labels[key];
      else labels[key] = value;
    }
  }
  const profileId = labels['profile_id'];
  return {
    appName,
    serviceName,
    suffix: dot === -1 ? '' : appName.slice(dot + 1),
    labels,
    ...(profileId ? { profileId } : {}),
  };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** Largest time a JavaScript Date holds, in ms either side of 1970. */
const MAX_DATE_MS = 8.64e15;
const INT64_MAX = 9223372036854775807n;

/**
 * Reads `from`/`until` (also the render routes' `from`/`until`) as Pyroscope's `attime.Parse`
 * does, returning Unix milliseconds. Absent or empty is `nowMs`. `_`, `,` and spaces are
 * ignored. Digits only: 8 digits forming a valid date after 1900 are that day (`YYYYMMDD`,
 * UTC); otherwise the digit count decides: 13 ms, 16 µs, 19 ns, anything else seconds.
 * Otherwise `now`, optionally followed by `+` or `-` and one or more `<number><unit>` (`now-1h`,
 * `now-1h30m`); units go by prefix as in Pyroscope: `s`, `min`/`m`, `h`, `d`, `w`, `mon`/`M`
 * (30 days), `y` (365 days), so `ms` means minutes. Sub-millisecond digits are cut.
 *
 * @example
 *   parseIngestTime('1700000000', now); // 1_700_000_000_000
 *   parseIngestTime('now-1h', now); // now - 3_600_000
 */
export function parseIngestTime(value: string | undefined, nowMs: number): number {
  if (value === undefined) return nowMs;
  const s = value.trim().replace(/[_, ]/g, '');
  if (s === '') return nowMs;
  const ms = /^\d+$/.test(s) ? unixTimeMs(s) : relativeTimeMs(s, nowMs);
  if (ms === null || !Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw ingestError(
      'ERR_INGEST_INVALID_TIME',
      `time "${clip(value)}" is neither Unix time (seconds, or ms/µs/ns by 13/16/19 digits) nor now, now-1h, now-30m...`,
      { value: clip(value) },
    );
  }
  return ms;
}

function unixTimeMs(digits: string): number | null {
  if (digits.length === 8) {
    const y = Number(digits.slice(0, 4));
    const m = Number(digits.slice(4, 6));
    const d = Number(digits.slice(6, 8));
    const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
    if (y > 1900 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth) return Date.UTC(y, m - 1, d);
  }
  // Pyroscope's strconv.Atoi fails past int64 and then uses a meaningless maximum.
  if (digits.length > 19 || BigInt(digits) > INT64_MAX) return null;
  switch (digits.length) {
    case 13:
      return Number(digits);
    case 16:
      return Number(BigInt(digits) / 1_000n);
    case 19:
      return Number(BigInt(digits) / 1_000_000n);
    default:
      return Number(digits) * 1000;
  }
}

function relativeTimeMs(s: string, nowMs: number): number | null {
  let at = s.indexOf('+');
  if (at === -1) at = s.indexOf('-');
  const ref = at === -1 ? s : s.slice(0, at);
  if (ref !== 'now' && ref !== '') return null;
  if (at === -1) return nowMs;
  const sign = s[at] === '-' ? -1 : 1;
  const offset = s.slice(at + 1);
  const parts = /^(?:\d+[A-Za-z]+)+$/.test(offset) ? offset.match(/\d+|[A-Za-z]+/g)! : null;
  if (parts === null) return null;
  let seconds = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const unit = unitSeconds(parts[i + 1]!);
    if (unit === 0) return null;
    seconds += Number(parts[i]) * unit;
  }
  return nowMs + sign * seconds * 1000;
}

/** Seconds in a unit, matched by prefix in Pyroscope's order; 0 when unknown. */
function unitSeconds(unit: string): number {
  if (unit.startsWith('s')) return 1;
  if (unit.startsWith('mon') || unit.startsWith('M')) return 30 * 86_400;
  if (unit.startsWith('m')) return 60;
  if (unit.startsWith('h')) return 3_600;
  if (unit.startsWith('d')) return 86_400;
  if (unit.startsWith('w')) return 7 * 86_400;
  if (unit.startsWith('y')) return 365 * 86_400;
  return 0;
}

/**
 * How `/ingest` reads its body, in Pyroscope's order (§1.5): `format=trie` or
 * `Content-Type: binary/octet-stream+trie`; `tree` likewise; `format=lines`, `jfr`, `pprof`,
 * `speedscope`; then a multipart Content-Type is pprof in a form; anything else is folded
 * (including `format=folded`, `collapsed` and none). So `format=pprof` with a multipart body is
 * raw pprof and fails, as in Pyroscope. Content types are compared without parameters and case.
 *
 * @example
 *   selectIngestFormat({ contentType: 'multipart/form-data; boundary=x' }); // 'pprof-multipart'
 */
export function selectIngestFormat(request: {
  format?: string | undefined;
  contentType?: string | undefined;
}): IngestFormat {
  const format = request.format ?? '';
  const contentType = (request.contentType ?? '').toLowerCase();
  const mediaType = contentType.split(';')[0]!.trim();
  if (format === 'trie' || mediaType === 'binary/octet-stream+trie') return 'trie';
  if (format === 'tree' || mediaType === 'binary/octet-stream+tree') return 'tree';
  if (format === 'lines' || format === 'jfr' || format === 'pprof' || format === 'speedscope') return format;
  if (contentType.includes('multipart/form-data')) return 'pprof-multipart';
  return 'folded';
}

/** Throws ERR_INGEST_UNSUPPORTED_FORMAT for a format Kiln does not read yet (JFR). */
export function checkIngestFormat(format: IngestFormat): void {
  if (format === 'jfr') {
    throw ingestError('ERR_INGEST_UNSUPPORTED_FORMAT', 'format=jfr is not supported yet; send pprof instead', {
      format,
    });
  }
}

/** What a legacy upload's app-name suffix and sample rate make of it (§1.6, §1.10). */
export interface LegacyProfileType {
  /** The series' `__name__`, the first part of the id: `process_cpu`, `memory`, `wall`... */
  name: string;
  sampleType: ValueType;
  /** Present for cpu and wall with a sample rate: `cpu/nanoseconds`, for wall too. */
  periodType: ValueType | null;
  /** Nanoseconds per sample (`1e9 / sampleRate`, truncated) when there is a period type, else 0. */
  period: number;
  /** Multiply every parsed value by this: `period` for cpu and wall with a sample rate, else 1. */
  multiplier: number;
  /** `name:sample_type:sample_unit:period_type:period_unit`; the period parts are empty without a period. */
  profileTypeId: string;
  /** `units` and `aggregationType` as sent (defaults `samples`, `sum`); Pyroscope keeps them for display only. */
  units: string;
  aggregation: 'sum' | 'average';
}

export interface ProfileTypeInput {
  /** `IngestName.suffix`: the text after the last dot of the app name, `''` for none. */
  suffix: string;
  /** Hz, or the `sampleRate` parameter as sent; default 100. */
  sampleRate?: number | string | undefined;
  units?: string | undefined;
  aggregationType?: string | undefined;
  /** Not used: the type does not depend on the spy (its label is seriesLabelsFor's). */
  spyName?: string | undefined;
}

interface SuffixType {
  name: string;
  type: string;
  unit: string;
  /** Sample counts that a sample rate turns into nanoseconds of this type. */
  timed?: 'cpu' | 'wall';
}

const cpu: SuffixType = { name: 'process_cpu', type: 'samples', unit: 'count', timed: 'cpu' };
const wall: SuffixType = { name: 'wall', type: 'samples', unit: 'count', timed: 'wall' };
const memory = (type: string, unit: string): SuffixType => ({ name: 'memory', type, unit });

/** Pyroscope's `convertMetadata`, suffix by suffix. */
const SUFFIX_TYPES = new Map<string, SuffixType>([
  ['cpu', cpu],
  ['itimer', cpu],
  ['wall', wall],
  ['seconds', wall],
  ['nanoseconds', wall],
  ['microseconds', wall],
  ['milliseconds', wall],
  ['inuse_objects', memory('inuse_objects', 'count')],
  ['alloc_objects', memory('alloc_objects', 'count')],
  ['inuse_space', memory('inuse_space', 'bytes')],
  ['alloc_space', memory('alloc_space', 'bytes')],
  ['goroutines', { name: 'goroutine', type: 'goroutines', unit: 'count' }],
  ['mutex_count', { name: 'mutex', type: 'contentions', unit: 'count' }],
  ['mutex_duration', { name: 'mutex', type: 'delay', unit: 'nanoseconds' }],
  ['block_count', { name: 'block', type: 'contentions', unit: 'count' }],
  ['block_duration', { name: 'block', type: 'delay', unit: 'nanoseconds' }],
  ['lock_count', { name: 'block', type: 'contentions', unit: 'count' }],
  ['lock_duration', { name: 'block', type: 'delay', unit: 'nanoseconds' }],
  ['alloc_in_new_tlab_objects', memory('alloc_in_new_tlab_objects', 'count')],
  ['alloc_in_new_tlab_bytes', memory('alloc_in_new_tlab_bytes', 'bytes')],
  ['alloc_outside_tlab_objects', memory('alloc_outside_tlab_objects', 'count')],
  ['alloc_outside_tlab_bytes', memory('alloc_outside_tlab_bytes', 'bytes')],
  ['live', memory('live', 'count')],
  ['exceptions', { name: 'exceptions', type: 'samples', unit: 'count' }],
  ['bytes', memory('samples', 'bytes')],
]);

/**
 * The profile type of a trie, tree, lines, folded or speedscope upload, from its app-name
 * suffix (`''` when the name has no dot, which is `cpu`) and sample rate, as Pyroscope's
 * ingest adapter decides it. CPU and wall with `sampleRate > 0` become nanoseconds: the period
 * is `1e9 / sampleRate` ns and every value is multiplied by it; their period type is
 * `cpu/nanoseconds`, for wall too (a Pyroscope quirk clients see in the id). `sampleRate` may
 * be the query parameter as sent: absent or not a non-negative integer is 100, as in Pyroscope.
 *
 * @example
 *   profileTypeFor({ suffix: 'cpu', sampleRate: 100 }).profileTypeId; // 'process_cpu:cpu:nanoseconds:cpu:nanoseconds'
 *   profileTypeFor({ suffix: 'inuse_space' }).profileTypeId; // 'memory:inuse_space:bytes::'
 */
export function profileTypeFor(input: ProfileTypeInput): LegacyProfileType {
  const t = SUFFIX_TYPES.get(input.suffix === '' ? 'cpu' : input.suffix);
  if (t === undefined) {
    throw ingestError(
      'ERR_INGEST_UNKNOWN_PROFILE_TYPE',
      `unknown profile type "${clip(input.suffix)}": the app name ends in .${clip(input.suffix)}, which is none of ${[...SUFFIX_TYPES.keys()].join(', ')}`,
      { suffix: clip(input.suffix) },
    );
  }
  const rate = typeof input.sampleRate === 'number' ? input.sampleRate : parseSampleRate(input.sampleRate);
  const timed = t.timed !== undefined && rate > 0;
  // Go's integer division; a rate above 1e9 Hz would make the period 0 and every value 0.
  const period = timed ? Math.max(1, Math.trunc(1e9 / rate)) : 0;
  const sampleType = timed ? { type: t.timed!, unit: 'nanoseconds' } : { type: t.type, unit: t.unit };
  const periodType = timed ? { type: 'cpu', unit: 'nanoseconds' } : null;
  const profileTypeId = formatProfileTypeId({
    name: t.name,
    sampleType: sampleType.type,
    sampleUnit: sampleType.unit,
    periodType: periodType?.type ?? '',
    periodUnit: periodType?.unit ?? '',
  });
  return {
    name: t.name,
    sampleType,
    periodType,
    period,
    multiplier: timed ? period : 1,
    profileTypeId,
    units: input.units || 'samples',
    aggregation: input.aggregationType === 'average' ? 'average' : 'sum',
  };
}

export interface SeriesLabelsOptions {
  /** `spyName` as sent (`gospy`, `nodespy`...); Pyroscope's default is `unknown`. */
  spyName: string;
  /**
   * `stacks` for trie, tree, lines, folded and speedscope bodies, whose app name carries the
   * profile type: `service_name` is the app name without its suffix, and when the user sent a
   * `service_name` label, `app_name` gets the app name (unless sent too). `pprof` for pprof
   * bodies: `service_name` is the app name as sent, and nothing else is added.
   */
  body: 'stacks' | 'pprof';
}

/**
 * The series labels of a legacy upload, as Pyroscope builds them: `pyroscope_spy`, the user's
 * labels (they win over `pyroscope_spy`), then `service_name` or `app_name`. `__name__` is not
 * among them: it is the first part of the profile type id, which the store turns into
 * `__name__`. Pyroscope's `__delta__=false` is left out too; Kiln's store has no delta notion.
 *
 * @example
 *   seriesLabelsFor(parseAppName('shop.cpu{env=prod}'), { spyName: 'gospy', body: 'stacks' });
 *   // { pyroscope_spy: 'gospy', env: 'prod', service_name: 'shop' }
 */
export function seriesLabelsFor(name: IngestName, options: SeriesLabelsOptions): Record<string, string> {
  const labels: Record<string, string> = {};
  if (options.spyName !== '') labels['pyroscope_spy'] = options.spyName;
  Object.assign(labels, name.labels);
  const app = options.body === 'pprof' ? name.appName : name.serviceName;
  if (!('service_name' in name.labels)) labels['service_name'] = app;
  else if (options.body === 'stacks' && !('app_name' in name.labels)) labels['app_name'] = app;
  return labels;
}

/** The query parameters of `/ingest` (URL-decoded), the first of each when repeated. */
export type IngestQuery = Readonly<Record<string, string | undefined>>;

export interface IngestParams {
  name: IngestName;
  fromMs: number;
  untilMs: number;
  format: IngestFormat;
  /** Hz; 100 when absent or not a non-negative integer (Pyroscope logs and goes on). */
  sampleRate: number;
  spyName: string;
  units: string;
  aggregationType: string;
}

const DEFAULT_SAMPLE_RATE = 100;

/**
 * The `sampleRate` parameter in Hz: a non-negative integer below 2^32 (Go's `uint32`), else 100,
 * which Pyroscope uses, after logging, for absent, negative and malformed rates alike.
 */
export function parseSampleRate(text: string | undefined): number {
  return text !== undefined && /^\+?\d{1,10}$/.test(text) && Number(text) <= 0xffff_ffff
    ? Number(text)
    : DEFAULT_SAMPLE_RATE;
}

/**
 * Every `/ingest` parameter with Pyroscope's defaults (§1.2): `from`/`until` now, `sampleRate`
 * 100, `spyName` `unknown`, `units` `samples`, `aggregationType` `sum`.
 *
 * @example
 *   parseIngestParams({ name: 'app.cpu', from: '1700000000' }, undefined, Date.now());
 */
export function parseIngestParams(query: IngestQuery, contentType: string | undefined, nowMs: number): IngestParams {
  return {
    name: parseAppName(query['name'] ?? ''),
    fromMs: parseIngestTime(query['from'], nowMs),
    untilMs: parseIngestTime(query['until'], nowMs),
    format: selectIngestFormat({ format: query['format'], contentType }),
    sampleRate: parseSampleRate(query['sampleRate']),
    spyName: query['spyName'] || 'unknown',
    units: query['units'] || 'samples',
    aggregationType: query['aggregationType'] || 'sum',
  };
}
