import { useMemo, useState } from 'react';
import { decodeDiffFlamebearer } from '@kiln/model';
import { fetchRenderDiff } from '../api/client.js';
import type { Theme } from '../app/theme.js';
import { useAsync } from '../app/use-async.js';
import type { UrlState } from '../app/url-state.js';
import { formatValue } from '../app/units.js';
import { Empty, ErrorBox, Loading, SearchBox } from '../components/States.js';
import { TwoRangeFrame, type Sides } from '../components/TwoRanges.js';
import { DiffLegend } from '../flame-graph/DiffLegend.js';
import { FlameGraph } from '../flame-graph/FlameGraph.js';
import type { NodePath } from '../flame-graph/types.js';
import { diffByFunction } from './diff-table.js';
import { MAX_NODES } from './SingleView.js';

/** Pyroscope's diff view: one flame graph coloured by change from baseline to comparison. */
export function DiffView({ url, theme }: { url: UrlState; theme: Theme }): React.JSX.Element {
  return (
    <TwoRangeFrame url={url} theme={theme} name="diff">
      {({ q, sides, unit, service }) => <DiffBody q={q} sides={sides} unit={unit} url={url} service={service} />}
    </TwoRangeFrame>
  );
}

function DiffBody({
  q,
  sides,
  unit,
  url,
  service,
}: {
  q: string;
  sides: Sides;
  unit: string;
  url: UrlState;
  service: string;
}): React.JSX.Element {
  const [focus, setFocus] = useState<NodePath | null>(null);
  const key = `${q} ${sides.left.fromMs} ${sides.left.untilMs} ${sides.right.fromMs} ${sides.right.untilMs}`;
  const diff = useAsync(`diff ${key}`, (signal) =>
    fetchRenderDiff({ query: q, range: sides.left }, { query: q, range: sides.right }, MAX_NODES, signal),
  );
  const changes = useMemo(
    () => (diff.value ? diffByFunction(decodeDiffFlamebearer(diff.value.flamebearer)) : []),
    [diff.value],
  );
  if (diff.status === 'error') return <ErrorBox error={diff.error} title="Diff failed" />;
  if (diff.value === undefined) return <Loading what="diff" />;
  const fb = diff.value.flamebearer;
  if (fb.leftTicks === 0 && fb.rightTicks === 0)
    return <Empty>Neither range has profiles for {service || 'this query'}.</Empty>;
  const search = url.get('search');
  return (
    <div className={diff.status === 'loading' ? 'stale' : ''}>
      <div className="toolbar">
        <SearchBox value={search} onChange={(v) => url.update({ search: v })} />
        <span className="muted" data-testid="diff-totals" data-left={fb.leftTicks} data-right={fb.rightTicks}>
          baseline {formatValue(fb.leftTicks, unit)} · comparison {formatValue(fb.rightTicks, unit)}
        </span>
        <span className="spacer" />
        <DiffLegend />
      </div>
      <div className="viewer-body mode-both">
        <div className="top-table diff-table" data-testid="diff-table">
          <table>
            <thead>
              <tr>
                <th className="col-name">Symbol</th>
                <th className="col-num">Baseline self</th>
                <th className="col-num">Comparison self</th>
                <th className="col-num">Change</th>
              </tr>
            </thead>
            <tbody>
              {changes.slice(0, 100).map((c) => (
                <tr
                  key={c.name}
                  data-name={c.name}
                  data-left-self={c.leftSelf}
                  data-right-self={c.rightSelf}
                  onClick={() => url.update({ search: c.name })}
                >
                  <td className="col-name" title={c.name}>
                    <span className="fn-name">{c.name}</span>
                  </td>
                  <td className="col-num">{(c.leftShare * 100).toFixed(2)} %</td>
                  <td className="col-num">{(c.rightShare * 100).toFixed(2)} %</td>
                  <td className={`col-num ${c.change > 0 ? 'grew' : c.change < 0 ? 'shrank' : ''}`}>
                    {c.change > 0 ? '+' : ''}
                    {(c.change * 100).toFixed(2)} pp
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <FlameGraph
          flamebearer={fb}
          diff
          unit={unit}
          focus={focus}
          onFocus={setFocus}
          search={search}
          testId="flame-graph-diff"
        />
      </div>
    </div>
  );
}
