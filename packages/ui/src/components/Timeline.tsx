import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cssVar } from '../app/theme.js';
import { formatValue } from '../app/units.js';
import type { Theme } from '../app/theme.js';

export interface TimelineSeries {
  label: string;
  /** [ms, value], ascending. */
  points: readonly (readonly [number, number])[];
}

export interface TimelineProps {
  series: readonly TimelineSeries[];
  fromMs: number;
  untilMs: number;
  unit: string;
  theme: Theme;
  /** Drag across the chart: the selected range (zoom, or a comparison side). */
  onSelect(fromMs: number, untilMs: number): void;
  /** Shaded ranges (the comparison view's baseline and comparison). */
  marks?: readonly { fromMs: number; untilMs: number; color: string; label: string }[];
  height?: number;
  testId?: string;
}

/** The empty series, one array for every render (the chart redraws when the array changes). */
export const NO_POINTS: readonly (readonly [number, number])[] = [];

const PALETTE = ['#3b82f6', '#e8590c', '#2f9e44', '#ae3ec9', '#f59f00', '#0c8599', '#e03131', '#5c940d'];

/** A number that changes only when a series' label or points array does. */
function useSeriesVersion(series: readonly TimelineSeries[]): number {
  const seen = useRef<{ series: readonly TimelineSeries[]; version: number }>({ series: [], version: 0 });
  const prev = seen.current.series;
  const same =
    prev.length === series.length &&
    prev.every((s, i) => s.label === series[i]!.label && s.points === series[i]!.points);
  if (!same) seen.current = { series, version: seen.current.version + 1 };
  return seen.current.version;
}

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/**
 * The total over time, drawn with uPlot (one canvas, fast for thousands of points). Dragging
 * selects a range; the parent decides what a selection means (zoom or a comparison side).
 */
export function Timeline(props: TimelineProps): React.JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const version = useSeriesVersion(props.series);
  const marksKey = JSON.stringify(props.marks ?? []);

  useEffect(() => {
    const el = host.current!;
    // One x axis (seconds, as uPlot wants) for all series: the union of their timestamps.
    const xs = new Set<number>();
    for (const s of props.series) for (const [t] of s.points) xs.add(t);
    const x = [...xs].sort((a, b) => a - b);
    const index = new Map(x.map((t, i) => [t, i]));
    const data: uPlot.AlignedData = [
      x.map((t) => t / 1000),
      ...props.series.map((s) => {
        const ys: (number | null)[] = new Array<number | null>(x.length).fill(null);
        for (const [t, v] of s.points) ys[index.get(t)!] = v;
        return ys;
      }),
    ];
    const axisColor = cssVar('--kiln-muted') || '#888';
    const gridColor = cssVar('--kiln-grid') || '#eee';
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 140,
      scales: {
        x: { time: true, min: props.fromMs / 1000, max: props.untilMs / 1000 },
        // From zero: a profile's total is an amount, and a baseline above zero exaggerates change.
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      legend: { show: props.series.length > 1 },
      cursor: { drag: { x: true, y: false, setScale: false } },
      axes: [
        { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor },
          size: 70,
          values: (_u, ticks) => ticks.map((v) => formatValue(v, latest.current.unit)),
        },
      ],
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: seriesColor(i),
          fill: props.series.length === 1 ? `${seriesColor(i)}33` : undefined,
          width: 1.5,
          spanGaps: false,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatValue(v, latest.current.unit)),
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const until = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            latest.current.onSelect(Math.round(from), Math.round(until));
          },
        ],
        draw: [
          (u) => {
            const ctx = u.ctx;
            for (const m of latest.current.marks ?? []) {
              const l = u.valToPos(m.fromMs / 1000, 'x', true);
              const r = u.valToPos(m.untilMs / 1000, 'x', true);
              ctx.save();
              ctx.fillStyle = m.color;
              ctx.globalAlpha = 0.18;
              ctx.fillRect(l, u.bbox.top, Math.max(1, r - l), u.bbox.height);
              ctx.restore();
            }
          },
        ],
      },
    };
    const p = new uPlot(opts, data, el);
    plot.current = p;
    const resize = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height: opts.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      p.destroy();
      plot.current = null;
    };
    // `version` and `marksKey` stand for the series and marks (new arrays on every render).
  }, [version, props.fromMs, props.untilMs, props.unit, props.theme, props.height, marksKey]);

  const empty = props.series.every((s) => s.points.length === 0);
  return (
    <div
      className="timeline"
      data-testid={props.testId ?? 'timeline'}
      data-from={props.fromMs}
      data-until={props.untilMs}
    >
      <div ref={host} className="timeline-plot" />
      {empty && <div className="timeline-empty">No data in this range</div>}
    </div>
  );
}
