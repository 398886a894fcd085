/**
 * Time ranges as Pyroscope and Grafana write them: `now`, `now-1h`, `now-7d`, or absolute Unix
 * time (seconds, milliseconds: told apart by digit count, as the server does).
 */
export interface Preset {
  label: string;
  from: string;
}

export const PRESETS: readonly Preset[] = [
  { label: 'Last 5 minutes', from: 'now-5m' },
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last 1 hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
  { label: 'Last 30 days', from: 'now-30d' },
];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds for a time expression, or null when it is not one. */
export function resolveTime(text: string, nowMs: number): number | null {
  const t = text.trim();
  if (t === 'now') return nowMs;
  const rel = /^now-(\d+)([smhdw])$/.exec(t);
  if (rel) return nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return t.length <= 10 ? n * 1000 : t.length <= 13 ? n : Math.floor(n / 1e6);
  }
  return null;
}

export interface ResolvedRange {
  fromMs: number;
  untilMs: number;
}

/** Both ends resolved; null when either is not a time or the range is empty. */
export function resolveRange(from: string, until: string, nowMs: number): ResolvedRange | null {
  const fromMs = resolveTime(from, nowMs);
  const untilMs = resolveTime(until, nowMs);
  if (fromMs === null || untilMs === null || untilMs <= fromMs) return null;
  return { fromMs, untilMs };
}

/** The preset's label for a relative range ending now, else the two ends as local times. */
export function describeRange(from: string, until: string, nowMs: number): string {
  if (until === 'now') {
    const preset = PRESETS.find((p) => p.from === from);
    if (preset) return preset.label;
  }
  const r = resolveRange(from, until, nowMs);
  if (!r) return `${from} to ${until}`;
  return `${formatDateTime(r.fromMs)} – ${formatDateTime(r.untilMs)}`;
}

/** `2026-11-25 10:05:00` in local time. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The value of an `<input type="datetime-local">` for a time, and back. */
export function toInputValue(ms: number): string {
  return formatDateTime(ms).replace(' ', 'T');
}

export function fromInputValue(value: string): number | null {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The timeline's step: about `points` points over the range, at least the store's 10 s
 * buckets, rounded to a whole multiple of 10 s so every point sums the same number of buckets.
 */
export function stepSecondsFor(range: ResolvedRange, points = 300): number {
  const raw = (range.untilMs - range.fromMs) / 1000 / points;
  return Math.max(10, Math.ceil(raw / 10) * 10);
}
