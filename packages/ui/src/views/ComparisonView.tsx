import { useState } from 'react';
import { fetchRender } from '../api/client.js';
import { formatSelector, sampleUnitOf, serviceOf } from '../app/query.js';
import { describeRange } from '../app/time-range.js';
import type { Theme } from '../app/theme.js';
import { useAsync } from '../app/use-async.js';
import { useViewQuery } from '../app/use-view-query.js';
import type { UrlState } from '../app/url-state.js';
import { formatValue } from '../app/units.js';
import { QueryBar } from '../components/QueryBar.js';
import { Empty, ErrorBox, Loading } from '../components/States.js';
import { TwoRanges, sidesOf } from '../components/TwoRanges.js';
import { FlameGraph } from '../flame-graph/FlameGraph.js';
import type { NodePath } from '../flame-graph/types.js';
import { NoData } from './NoData.js';
import { MAX_NODES } from './SingleView.js';

/**
 * Pyroscope's comparison view: the same query over two ranges, two flame graphs side by side
 * on one scale (the larger total spans the full width), with one search for both.
 */
export function ComparisonView({ url, theme }: { url: UrlState; theme: Theme }): React.JSX.Element {
  const vq = useViewQuery(url);
  const [focus, setFocus] = useState<{ left: NodePath | null; right: NodePath | null }>({ left: null, right: null });
  if (vq.noData) return <NoData />;
  if (vq.range === null) return <ErrorBox error={new Error('not a time range')} title="Bad time range" />;
  const sides = sidesOf(url, vq.range);
  const unit = sampleUnitOf(vq.query.profileType);
  const q = `${vq.query.profileType}${formatSelector(vq.query.matchers)}`;
  return (
    <div className="view comparison-view" data-testid="comparison-view">
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
          <div className="toolbar">
            <input
              type="search"
              className="search"
              placeholder="Search both flame graphs"
              aria-label="Search functions"
              value={url.get('search')}
              onChange={(e) => url.update({ search: e.target.value })}
              data-testid="search"
            />
          </div>
          <SideBySide
            q={q}
            sides={sides}
            unit={unit}
            search={url.get('search')}
            focus={focus}
            setFocus={setFocus}
            service={serviceOf(vq.query)}
          />
        </>
      )}
    </div>
  );
}

function SideBySide({
  q,
  sides,
  unit,
  search,
  focus,
  setFocus,
  service,
}: {
  q: string;
  sides: NonNullable<ReturnType<typeof sidesOf>>;
  unit: string;
  search: string;
  focus: { left: NodePath | null; right: NodePath | null };
  setFocus(f: { left: NodePath | null; right: NodePath | null }): void;
  service: string;
}): React.JSX.Element {
  const key = `${q} ${sides.left.fromMs} ${sides.left.untilMs} ${sides.right.fromMs} ${sides.right.untilMs}`;
  const both = useAsync(`compare ${key}`, (signal) =>
    Promise.all([fetchRender(q, sides.left, MAX_NODES, signal), fetchRender(q, sides.right, MAX_NODES, signal)]),
  );
  if (both.status === 'error') return <ErrorBox error={both.error} title="Query failed" />;
  if (both.value === undefined) return <Loading what="flame graphs" />;
  const [left, right] = both.value;
  const scale = Math.max(left.flamebearer.numTicks, right.flamebearer.numTicks);
  if (scale === 0) return <Empty>Neither range has profiles for {service || 'this query'}.</Empty>;
  const now = Date.now();
  const half = (side: 'left' | 'right', title: string, fb: typeof left.flamebearer): React.JSX.Element => (
    <div className="compare-half" data-testid={`compare-${side}`}>
      <h3>
        {title}{' '}
        <span className="muted">
          {describeRange(String(sides[side].fromMs), String(sides[side].untilMs), now)} · total{' '}
          <span data-testid={`compare-${side}-total`} data-total={fb.numTicks}>
            {formatValue(fb.numTicks, unit)}
          </span>
        </span>
      </h3>
      {fb.numTicks === 0 ? (
        <Empty>No profiles in this range.</Empty>
      ) : (
        <FlameGraph
          flamebearer={fb}
          unit={unit}
          focus={focus[side]}
          onFocus={(p) => setFocus({ ...focus, [side]: p })}
          search={search}
          scaleTotal={scale}
          testId={`flame-graph-${side}`}
        />
      )}
    </div>
  );
  return (
    <div className={`side-by-side ${both.status === 'loading' ? 'stale' : ''}`}>
      {half('left', 'Baseline', left.flamebearer)}
      {half('right', 'Comparison', right.flamebearer)}
    </div>
  );
}
