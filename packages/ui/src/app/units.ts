/**
 * Values shown the way Pyroscope shows them, by the profile's sample unit: CPU time in seconds
 * (or ms, µs), memory in bytes (KB, MB, GB — powers of 1024), counts as plain numbers with k/M.
 */
export type UnitKind = 'time' | 'bytes' | 'count';

export function unitKindOf(unit: string): UnitKind {
  if (unit === 'nanoseconds' || unit === 'microseconds' || unit === 'milliseconds' || unit === 'seconds') return 'time';
  if (unit === 'bytes') return 'bytes';
  return 'count';
}

const NS_PER: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };

/** A value in the profile's unit, for people: `1.25 s`, `340 ms`, `12.4 MB`, `1.2 k`. */
export function formatValue(value: number, unit: string): string {
  if (value === 0) return '0';
  const kind = unitKindOf(unit);
  if (kind === 'time') {
    const ns = value * (NS_PER[unit] ?? 1);
    const abs = Math.abs(ns);
    if (abs >= 3600e9) return `${trim(ns / 3600e9)} h`;
    if (abs >= 60e9) return `${trim(ns / 60e9)} min`;
    if (abs >= 1e9) return `${trim(ns / 1e9)} s`;
    if (abs >= 1e6) return `${trim(ns / 1e6)} ms`;
    if (abs >= 1e3) return `${trim(ns / 1e3)} µs`;
    return `${trim(ns)} ns`;
  }
  if (kind === 'bytes') {
    const abs = Math.abs(value);
    const steps = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
    let i = 0;
    let v = value;
    while (Math.abs(v) >= 1024 && i < steps.length - 1 && abs >= 1024) {
      v /= 1024;
      i++;
    }
    return `${trim(v)} ${steps[i]}`;
  }
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)} G`;
  if (abs >= 1e6) return `${trim(value / 1e6)} M`;
  if (abs >= 1e3) return `${trim(value / 1e3)} k`;
  return trim(value);
}

/** A share as a percentage with two decimals: `12.34 %`; `< 0.01 %` for tiny non-zero shares. */
export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '0 %';
  const p = (part / whole) * 100;
  if (p !== 0 && Math.abs(p) < 0.01) return p > 0 ? '< 0.01 %' : '> -0.01 %';
  return `${p.toFixed(2)} %`;
}

/** What the unit is called in a table header or an axis: `CPU time`, `memory`, `samples`. */
export function unitLabel(unit: string): string {
  const kind = unitKindOf(unit);
  return kind === 'time' ? 'time' : kind === 'bytes' ? 'bytes' : unit === 'count' ? 'count' : unit;
}

function trim(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return Number(v.toFixed(digits)).toString();
}
