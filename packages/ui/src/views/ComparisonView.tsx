import { useState } from 'react';
import { fetchRender } from '../api/client.js';
import { describeRange } from '../app/time-range.js';
import type { Theme } from '../app/theme.js';
import { useAsync } from '../app/use-async.js';
import type { UrlState } from '../app/url-state.js';
import { formatValue } from '../app/units.js';
import { Empty, ErrorBox, Loading, SearchBox } from '../components/States.js';
import { TwoRangeFrame, type Sides } from '../components/TwoRanges.js';
import { FlameGraph } from '../flame-graph/FlameGraph.js';
import type { NodePath } from '../flame-graph/types.js';
import { MAX_NODES } from './SingleView.js';

/**
 * Pyroscope's comparison view: the same query over two ranges, two flame graphs side by side
 * on one scale (the larger total spans the full width), with one search for both.
 */
export function ComparisonView({ url, theme }: { url: UrlState; theme: Theme }): React.JSX.Element {
  const [focus, setFocus] = useState<{ left: NodePath | null; right: NodePath | null }>({ left: null, right: null });
  return (
    <TwoRangeFrame url={url} theme={theme} name="comparison">
      {({ q, sides, unit, service }) => (
        <>
          <div className="toolbar">
            <SearchBox
              value={url.get('search')}
              onChange={(search) => url.update({ search })}
              placeholder="Search both flame graphs"
            />
          </div>
          <SideBySide
            q={q}
            sides={sides}
            unit={unit}
            search={url.get('search')}
            focus={focus}
            setFocus={setFocus}
            service={service}
          />
        </>
      )}
    </TwoRangeFrame>
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
  sides: Sides;
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
