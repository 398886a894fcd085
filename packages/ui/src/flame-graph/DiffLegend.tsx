import type { JSX } from 'react';
import { DIFF_FULL_CHANGE, diffColor } from './colors.js';

/** Changes shown in the legend, as fractions of a side's total: shrank on the left, grew on the right. */
const STEPS = [-1, -0.2, -0.04, 0, 0.04, 0.2, 1].map((f) => f * DIFF_FULL_CHANGE);

function label(change: number): string {
  if (change === 0) return '0';
  const points = change * 100;
  return `${points > 0 ? '+' : '−'}${Math.abs(points).toFixed(Math.abs(points) < 1 ? 1 : 0)} pp`;
}

/** The diff flame graph's colour key: change in a node's share of its side's total. */
export function DiffLegend(): JSX.Element {
  return (
    <div className="kiln-flame-legend" data-testid="flame-diff-legend">
      <span>Shrank</span>
      <ol aria-label="Change in share of the total, percentage points">
        {STEPS.map((change) => (
          <li key={change} style={{ background: diffColor(change) }}>
            {label(change)}
          </li>
        ))}
      </ol>
      <span>Grew</span>
    </div>
  );
}
