/**
 * Bar colours. A single graph colours a function by its package (Go import path, Java package,
 * Rust/C++ namespace, file), hashed into a warm pastel palette, so one library keeps one colour
 * across graphs and reloads. A diff colours by the change in share: red grew, green shrank.
 */
const PALETTE = [
  'hsl(38 82% 68%)',
  'hsl(24 80% 68%)',
  'hsl(50 78% 64%)',
  'hsl(12 72% 70%)',
  'hsl(82 52% 62%)',
  'hsl(140 42% 64%)',
  'hsl(172 44% 60%)',
  'hsl(196 58% 68%)',
  'hsl(218 56% 74%)',
  'hsl(258 46% 76%)',
  'hsl(290 38% 74%)',
  'hsl(328 52% 76%)',
  'hsl(352 62% 74%)',
  'hsl(62 58% 64%)',
  'hsl(30 60% 58%)',
  'hsl(104 40% 58%)',
] as const;

/** The package part of a function name: what its colour is hashed from. */
export function packageOf(name: string): string {
  const colons = name.lastIndexOf('::');
  if (colons > 0) return name.slice(0, colons);
  const slash = name.lastIndexOf('/');
  if (slash >= 0) {
    // Go `net/http.(*conn).serve`, a file `/app/src/db.js:query`: through the last segment's first `.` or `:`.
    const rest = name.slice(slash + 1);
    const cut = rest.search(/[.:]/);
    return cut === -1 ? name : name.slice(0, slash + 1 + cut);
  }
  const parts = name.split('.');
  if (parts.length >= 3) return parts.slice(0, -2).join('.');
  return parts[0]!;
}

/** FNV-1a, 32 bit: small, and stable across browsers and releases. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Colours by name index, hashed on first use: a frame hashes only the names it draws. */
export interface NameColors {
  of(nameIndex: number): string;
}

export function createNameColors(names: readonly string[]): NameColors {
  const cache = new Int16Array(names.length).fill(-1);
  return {
    of(nameIndex) {
      let c = cache[nameIndex]!;
      if (c === -1) {
        c = hashString(packageOf(names[nameIndex] ?? '')) % PALETTE.length;
        cache[nameIndex] = c;
      }
      return PALETTE[c]!;
    },
  };
}

/**
 * A change in share of this size (5 percentage points of a side's total) gets full saturation;
 * smaller ones fade towards grey along a square root, so a 0.1-point change is still visible.
 */
export const DIFF_FULL_CHANGE = 0.05;
const DIFF_STEPS = 20;
/** Index DIFF_STEPS + k holds step k of growth (k > 0) or shrinkage (k < 0); the middle is grey. */
const DIFF_COLORS = Array.from({ length: 2 * DIFF_STEPS + 1 }, (_, i) => {
  const step = i - DIFF_STEPS;
  if (step === 0) return 'hsl(0 0% 72%)';
  const intensity = Math.abs(step) / DIFF_STEPS;
  const hue = step > 0 ? 0 : 120;
  return `hsl(${hue} ${Math.round(15 + intensity * 65)}% ${Math.round(72 - intensity * 22)}%)`;
});

/** A node's change in share between the sides: right / rightTicks − left / leftTicks. */
export function diffChange(leftTotal: number, leftTicks: number, rightTotal: number, rightTicks: number): number {
  return (rightTicks === 0 ? 0 : rightTotal / rightTicks) - (leftTicks === 0 ? 0 : leftTotal / leftTicks);
}

/** Red for growth, green for shrinkage, saturation by magnitude, grey for (almost) no change. */
export function diffColor(change: number): string {
  const step = Math.round(Math.min(1, Math.sqrt(Math.abs(change) / DIFF_FULL_CHANGE)) * DIFF_STEPS);
  return DIFF_COLORS[DIFF_STEPS + (change > 0 ? step : -step)]!;
}
