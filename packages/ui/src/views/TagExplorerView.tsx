import { useMemo } from 'react';
import { fetchLabelNames, fetchRender, fetchSeries, type SeriesResult } from '../api/client.js';
import { formatQuery, formatSelector, sampleUnitOf, serviceOf, withMatcher } from '../app/query.js';
import { stepSecondsFor } from '../app/time-range.js';
import type { Theme } from '../app/theme.js';
import { useAsync } from '../app/use-async.js';
import { useViewQuery } from '../app/use-view-query.js';
import type { UrlState } from '../app/url-state.js';
import { formatPercent, formatValue } from '../app/units.js';
import { ProfileViewer, viewerParams, viewerStateOf } from '../components/ProfileViewer.js';
import { QueryBar } from '../components/QueryBar.js';
import { BadRange, Empty, ErrorBox, Loading } from '../components/States.js';
import { Timeline, seriesColor } from '../components/Timeline.js';
import { NoData } from '../components/NoData.js';
import { MAX_NODES } from './SingleView.js';

const NOT_GROUPABLE = new Set(['service_name', '__name__', '__profile_type__', '__period_type__', '__type__']);
/** The label grouped by first when the URL names none: what Kubernetes users slice by most. */
const PREFERRED = ['pod', 'version', 'namespace', 'region', 'env', 'node', 'container'];

export interface ValueShare {
  value: string;
  total: number;
  /** Mean and largest value per timeline step with data. */
  mean: number;
  max: number;
}

/** Per label value: its total over the range, mean and max per step; largest total first. */
export function sharesOf(series: readonly SeriesResult[], label: string): ValueShare[] {
  return series
    .map((s) => {
      let total = 0;
      let max = 0;
      for (const [, v] of s.points) {
        total += v;
        if (v > max) max = v;
      }
      return { value: s.labels[label] ?? '', total, mean: s.points.length === 0 ? 0 : total / s.points.length, max };
    })
    .sort((a, b) => b.total - a.total || a.value.localeCompare(b.value));
}

/**
 * Pyroscope's tag explorer: pick a label, see one timeline series per value and each value's
 * share; clicking a value shows the flame graph of that value alone.
 */
export function TagExplorerView({ url, theme }: { url: UrlState; theme: Theme }): React.JSX.Element {
  const vq = useViewQuery(url);
  if (vq.noData) return <NoData />;
  if (vq.range === null) return <BadRange from={vq.from} until={vq.until} />;
  return (
    <div className="view explore-view" data-testid="explore-view">
      <QueryBar
        query={vq.query}
        range={vq.range}
        onQuery={vq.setQuery}
        time={{ from: vq.from, until: vq.until, onRange: vq.setRange }}
      />
      {vq.choosing ? <Loading what="services" /> : <ExploreBody url={url} theme={theme} vq={vq} />}
    </div>
  );
}

function ExploreBody({
  url,
  theme,
  vq,
}: {
  url: UrlState;
  theme: Theme;
  vq: ReturnType<typeof useViewQuery>;
}): React.JSX.Element {
  const range = vq.range!;
  const selector = formatSelector(vq.query.matchers);
  const unit = sampleUnitOf(vq.query.profileType);
  const names = useAsync(`names ${selector} ${range.fromMs} ${range.untilMs}`, (signal) =>
    fetchLabelNames(selector, range, signal),
  );
  const groupable = (names.value ?? []).filter((n) => !NOT_GROUPABLE.has(n));
  const groupBy = url.get('groupBy') || PREFERRED.find((p) => groupable.includes(p)) || groupable[0] || '';
  const groupByValue = url.get('groupByValue');
  const series = useAsync(
    `grouped ${vq.query.profileType}${selector} ${groupBy} ${range.fromMs} ${range.untilMs}`,
    (signal) =>
      groupBy === ''
        ? Promise.resolve([])
        : fetchSeries(vq.query.profileType, selector, range, stepSecondsFor(range), [groupBy], signal),
  );
  const shares = useMemo(() => sharesOf(series.value ?? [], groupBy), [series.value, groupBy]);
  const timelineSeries = useMemo(
    () => (series.value ?? []).map((s) => ({ label: s.labels[groupBy] ?? '', points: s.points })),
    [series.value, groupBy],
  );
  const grand = shares.reduce((sum, s) => sum + s.total, 0);
  const filtered =
    groupByValue === '' ? vq.query : withMatcher(vq.query, { name: groupBy, op: '=', value: groupByValue });
  return (
    <>
      <div className="toolbar">
        <label className="field">
          <span>Group by</span>
          <select
            data-testid="group-by"
            value={groupBy}
            onChange={(e) => url.update({ groupBy: e.target.value, groupByValue: null }, { push: true })}
          >
            {groupable.length === 0 && <option value="">no labels</option>}
            {groupable.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {groupByValue !== '' && (
          <span className="chip" data-testid="group-value-chip">
            {groupBy}=&quot;{groupByValue}&quot;
            <button
              type="button"
              aria-label="Show all values"
              onClick={() => url.update({ groupByValue: null }, { push: true })}
            >
              ×
            </button>
          </span>
        )}
      </div>
      {series.status === 'error' ? (
        <ErrorBox error={series.error} title="Series failed" />
      ) : (
        <Timeline
          series={timelineSeries}
          fromMs={range.fromMs}
          untilMs={range.untilMs}
          unit={unit}
          theme={theme}
          height={180}
          onSelect={(f, u) => vq.setRange(String(f), String(u))}
          testId="explore-timeline"
        />
      )}
      {series.value !== undefined && shares.length === 0 ? (
        <Empty>No series carry the label {groupBy || '(none)'} in this range.</Empty>
      ) : (
        <div className="top-table explore-table" data-testid="explore-table">
          <table>
            <thead>
              <tr>
                <th className="col-name">{groupBy}</th>
                <th className="col-num">Total</th>
                <th className="col-num">Share</th>
                <th className="col-num">Mean per step</th>
                <th className="col-num">Max per step</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shares.map((s) => {
                const index = timelineSeries.findIndex((t) => t.label === s.value);
                return (
                  <tr
                    key={s.value}
                    data-value={s.value}
                    data-total={s.total}
                    className={s.value === groupByValue ? 'selected' : ''}
                    onClick={() => url.update({ groupByValue: s.value }, { push: true })}
                  >
                    <td className="col-name">
                      <span className="swatch" style={{ background: seriesColor(index) }} /> {s.value || '(empty)'}
                    </td>
                    <td className="col-num">{formatValue(s.total, unit)}</td>
                    <td className="col-num">{formatPercent(s.total, grand)}</td>
                    <td className="col-num">{formatValue(s.mean, unit)}</td>
                    <td className="col-num">{formatValue(s.max, unit)}</td>
                    <td>
                      <a
                        href={`/?${new URLSearchParams({
                          query: formatQuery(withMatcher(vq.query, { name: groupBy, op: '=', value: s.value })),
                          from: vq.from,
                          until: vq.until,
                        })}`}
                        onClick={(e) => e.stopPropagation()}
                        data-testid="open-single"
                      >
                        Single view
                      </a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ExploreFlameGraph
        url={url}
        query={formatQuery(filtered)}
        vq={vq}
        unit={unit}
        label={groupByValue === '' ? 'all values' : `${groupBy}="${groupByValue}"`}
      />
    </>
  );
}

function ExploreFlameGraph({
  url,
  query,
  vq,
  unit,
  label,
}: {
  url: UrlState;
  query: string;
  vq: ReturnType<typeof useViewQuery>;
  unit: string;
  label: string;
}): React.JSX.Element {
  const range = vq.range!;
  const render = useAsync(`render ${query} ${range.fromMs} ${range.untilMs}`, (signal) =>
    fetchRender(query, range, MAX_NODES, signal),
  );
  if (render.status === 'error') return <ErrorBox error={render.error} title="Query failed" />;
  if (render.value === undefined) return <Loading what="flame graph" />;
  return (
    <section className="explore-flame" data-testid="explore-flame" data-query={query}>
      <h3>
        Flame graph of <code>{label}</code>
      </h3>
      <ProfileViewer
        flamebearer={render.value.flamebearer}
        unit={unit}
        profileType={vq.query.profileType}
        name={serviceOf(vq.query) || 'profile'}
        fromMs={range.fromMs}
        untilMs={range.untilMs}
        state={viewerStateOf(url.get)}
        onState={(patch) => url.update(viewerParams(patch))}
      />
    </section>
  );
}
