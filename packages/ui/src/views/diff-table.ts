import type { DiffTree } from '@kiln/model';

export interface FunctionChange {
  name: string;
  /** Self in the baseline and in the comparison, each side's own units. */
  leftSelf: number;
  rightSelf: number;
  /** Each side's self as a share of its own total (0..1). */
  leftShare: number;
  rightShare: number;
  /** rightShare − leftShare: positive grew, negative shrank. */
  change: number;
}

/**
 * Each function's self in both sides of a diff, largest change of share first. Shares, not raw
 * values, so ranges of different lengths compare fairly (as the diff flame graph's colours do).
 */
export function diffByFunction(diff: DiffTree): FunctionChange[] {
  const t = diff.tree;
  const leftTotal = diff.leftTotal[0] ?? 0;
  const rightTotal = diff.rightTotal[0] ?? 0;
  const byName = new Map<number, { l: number; r: number }>();
  for (let node = 1; node < t.size; node++) {
    const l = diff.leftSelf[node]!;
    const r = diff.rightSelf[node]!;
    if (l === 0 && r === 0) continue;
    const id = t.nameId[node]!;
    const acc = byName.get(id);
    if (acc) {
      acc.l += l;
      acc.r += r;
    } else byName.set(id, { l, r });
  }
  const out: FunctionChange[] = [];
  for (const [id, { l, r }] of byName) {
    const leftShare = leftTotal === 0 ? 0 : l / leftTotal;
    const rightShare = rightTotal === 0 ? 0 : r / rightTotal;
    out.push({ name: t.names[id]!, leftSelf: l, rightSelf: r, leftShare, rightShare, change: rightShare - leftShare });
  }
  return out.sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.name.localeCompare(b.name));
}
