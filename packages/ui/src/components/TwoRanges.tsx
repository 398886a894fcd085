import { fetchSeries } from '../api/client.js';
import { formatSelector, sampleUnitOf, serviceOf, type ParsedQuery } from '../app/query.js';
import { resolveRange, stepSecondsFor, type ResolvedRange } from '../app/time-range.js';
import type { Theme } from '../app/theme.js';
import { useAsync } from '../app/use-async.js';
import { useViewQuery } from '../app/use-view-query.js';
import type { UrlState } from '../app/url-state.js';
import { NoData } from './NoData.js';
import { QueryBar } from './QueryBar.js';
import { BadRange, ErrorBox, Loading } from './States.js';
import { NO_POINTS, Timeline } from './Timeline.js';
import { TimeRangePicker } from './TimeRangePicker.js';

export const BASELINE_COLOR = '#3b82f6';
export const COMPARISON_COLOR = '#e8590c';

export interface Sides {
  left: ResolvedRange;
  right: ResolvedRange;
}

/**
 * The baseline and comparison selections of the comparison and diff views (`leftFrom`,
 * `leftUntil`, `rightFrom`, `rightUntil`, as Pyroscope's UI names them). Without them, the
 * first and second halves of the overall range.
 */
export function sidesOf(url: UrlState, overall: ResolvedRange): Sides | null {
  const now = Date.now();
  const half = Math.round((overall.fromMs + overall.untilMs) / 2);
  const side = (prefix: string, fallback: ResolvedRange): ResolvedRange | null => {
    const f = url.get(`${prefix}From`);
    const u = url.get(`${prefix}Until`);
    return f === '' || u === '' ? fallback : resolveRange(f, u, now);
  };
  const left = side('left', { fromMs: overall.fromMs, untilMs: half });
  const right = side('right', { fromMs: half, untilMs: overall.untilMs });
  return left && right ? { left, right } : null;
}

/** Two timelines of the same total; a drag on one selects that side's range. */
export function TwoRanges({
  url,
  query,
  overall,
  sides,
  unit,
  theme,
}: {
  url: UrlState;
  query: ParsedQuery;
  overall: ResolvedRange;
  sides: Sides;
  unit: string;
  theme: Theme;
}): React.JSX.Element {
  const selector = formatSelector(query.matchers);
  const series = useAsync(`series ${query.profileType}${selector} ${overall.fromMs} ${overall.untilMs}`, (signal) =>
    fetchSeries(query.profileType, selector, overall, stepSecondsFor(overall), [], signal),
  );
  if (series.status === 'error') return <ErrorBox error={series.error} title="Timeline failed" />;
  const points = series.value?.[0]?.points ?? NO_POINTS;
  const set = (prefix: 'left' | 'right', f: number, u: number): void =>
    url.update({ [`${prefix}From`]: String(f), [`${prefix}Until`]: String(u) }, { push: true });
  const side = (prefix: 'left' | 'right', title: string, color: string): React.JSX.Element => {
    const r = sides[prefix];
    return (
      <div className={`side side-${prefix}`} data-testid={`side-${prefix}`}>
        <div className="side-head">
          <span className="swatch" style={{ background: color }} />
          <strong>{title}</strong>
          <TimeRangePicker
            from={String(r.fromMs)}
            until={String(r.untilMs)}
            onRange={(f, u) => url.update({ [`${prefix}From`]: f, [`${prefix}Until`]: u }, { push: true })}
            testId={`time-picker-${prefix}`}
          />
        </div>
        <Timeline
          series={[{ label: 'total', points }]}
          fromMs={overall.fromMs}
          untilMs={overall.untilMs}
          unit={unit}
          theme={theme}
          height={110}
          marks={[{ ...r, color, label: title }]}
          onSelect={(f, u) => set(prefix, f, u)}
          testId={`timeline-${prefix}`}
        />
      </div>
    );
  };
  return (
    <div className="two-ranges">
      {side('left', 'Baseline', BASELINE_COLOR)}
      {side('right', 'Comparison', COMPARISON_COLOR)}
    </div>
  );
}

/** What a two-range view's body gets: the query as text, both ranges, the unit and service. */
export interface TwoRangeContext {
  q: string;
  sides: Sides;
  unit: string;
  service: string;
}

/**
 * The frame the comparison and diff views share: the query bar over the overall range, then
 * both timelines, then the view's own body for the two selected ranges.
 */
export function TwoRangeFrame({
  url,
  theme,
  name,
  children,
}: {
  url: UrlState;
  theme: Theme;
  /** `comparison` or `diff`: the class and test id of the view. */
  name: string;
  children: (ctx: TwoRangeContext) => React.ReactNode;
}): React.JSX.Element {
  const vq = useViewQuery(url);
  if (vq.noData) return <NoData />;
  if (vq.range === null) return <BadRange from={vq.from} until={vq.until} />;
  const sides = sidesOf(url, vq.range);
  const unit = sampleUnitOf(vq.query.profileType);
  return (
    <div className={`view ${name}-view`} data-testid={`${name}-view`}>
      <QueryBar
        query={vq.query}
        range={vq.range}
        onQuery={vq.setQuery}
        time={{ from: vq.from, until: vq.until, onRange: vq.setRange }}
      />
      {vq.choosing || sides === null ? (
        <Loading what="services" />
      ) : (
        <>
          <TwoRanges url={url} query={vq.query} overall={vq.range} sides={sides} unit={unit} theme={theme} />
          {children({
            q: `${vq.query.profileType}${formatSelector(vq.query.matchers)}`,
            sides,
            unit,
            service: serviceOf(vq.query),
          })}
        </>
      )}
    </div>
  );
}
