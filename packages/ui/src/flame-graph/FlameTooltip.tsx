import type { CSSProperties, JSX } from 'react';
import { formatPercent, formatValue } from '../app/units.js';
import { diffChange } from './colors.js';
import { nodeName, type FlameData } from './flame-data.js';
import type { FlameHit } from './layout.js';

export interface FlameTooltipProps {
  data: FlameData;
  hit: FlameHit;
  unit: string;
  style: CSSProperties;
}

/**
 * What a bar stands for, in the profile's unit and as a share of the whole graph. The raw
 * numbers are also in data attributes, so tests compare exact values, not formatted text.
 */
export function FlameTooltip({ data, hit, unit, style }: FlameTooltipProps): JSX.Element {
  if (hit.nodes > 1) {
    return (
      <div
        className="kiln-flame-tooltip"
        role="tooltip"
        data-testid="flame-tooltip"
        data-merged={hit.nodes}
        data-total={hit.total}
        style={style}
      >
        <strong>{hit.nodes.toLocaleString('en-US')} merged nodes</strong>
        <table>
          <tbody>
            <tr>
              <th>Total</th>
              <td>{formatValue(hit.total, unit)}</td>
              <td>{formatPercent(hit.total, data.total)}</td>
            </tr>
          </tbody>
        </table>
        <p>Each is narrower than a pixel: click a parent to zoom in.</p>
      </div>
    );
  }
  const level = data.levels[hit.level]!;
  const name = nodeName(data, hit);
  const self = level.self[hit.index]!;
  const total = level.total[hit.index]!;
  if (!data.diff) {
    return (
      <div
        className="kiln-flame-tooltip"
        role="tooltip"
        data-testid="flame-tooltip"
        data-name={name}
        data-self={self}
        data-total={total}
        style={style}
      >
        <strong>{name}</strong>
        <table>
          <tbody>
            <tr>
              <th>Self</th>
              <td>{formatValue(self, unit)}</td>
              <td>{formatPercent(self, data.total)}</td>
            </tr>
            <tr>
              <th>Total</th>
              <td>{formatValue(total, unit)}</td>
              <td>{formatPercent(total, data.total)}</td>
            </tr>
          </tbody>
        </table>
      </div>
    );
  }
  const leftSelf = level.leftSelf[hit.index]!;
  const rightSelf = level.rightSelf[hit.index]!;
  const leftTotal = level.leftTotal[hit.index]!;
  const rightTotal = level.rightTotal[hit.index]!;
  const side = (value: number, ticks: number): string => `${formatValue(value, unit)} (${formatPercent(value, ticks)})`;
  return (
    <div
      className="kiln-flame-tooltip"
      role="tooltip"
      data-testid="flame-tooltip"
      data-name={name}
      data-self={self}
      data-total={total}
      data-left-self={leftSelf}
      data-right-self={rightSelf}
      data-left-total={leftTotal}
      data-right-total={rightTotal}
      style={style}
    >
      <strong>{name}</strong>
      <table>
        <thead>
          <tr>
            <th />
            <th>Baseline</th>
            <th>Comparison</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>Self</th>
            <td>{side(leftSelf, data.leftTicks)}</td>
            <td>{side(rightSelf, data.rightTicks)}</td>
          </tr>
          <tr>
            <th>Total</th>
            <td>{side(leftTotal, data.leftTicks)}</td>
            <td>{side(rightTotal, data.rightTicks)}</td>
          </tr>
        </tbody>
      </table>
      <p>{describeChange(leftTotal, data.leftTicks, rightTotal, data.rightTicks)}</p>
    </div>
  );
}

/** "Change: +1.20 pp of the total (+35 %)", in share of each side's total, as the colours are. */
function describeChange(leftTotal: number, leftTicks: number, rightTotal: number, rightTicks: number): string {
  if (leftTotal === 0 && rightTotal === 0) return 'Change: none';
  if (leftTotal === 0) return 'Change: new in the comparison';
  if (rightTotal === 0) return 'Change: gone from the comparison';
  const change = diffChange(leftTotal, leftTicks, rightTotal, rightTicks);
  const points = `${change >= 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(2)} pp of the total`;
  const relative = rightTotal / rightTicks / (leftTotal / leftTicks) - 1;
  return `Change: ${points} (${relative >= 0 ? '+' : '−'}${Math.abs(relative * 100).toFixed(0)} %)`;
}
