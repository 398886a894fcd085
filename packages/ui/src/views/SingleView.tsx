import { fetchRender, fetchSeries } from '../api/client.js';
import { formatSelector, sampleUnitOf, serviceOf } from '../app/query.js';
import { stepSecondsFor } from '../app/time-range.js';
import type { Theme } from '../app/theme.js';
import { useAsync } from '../app/use-async.js';
import { useViewQuery } from '../app/use-view-query.js';
import type { UrlState } from '../app/url-state.js';
import { ProfileViewer, viewerParams, viewerStateOf } from '../components/ProfileViewer.js';
import { QueryBar } from '../components/QueryBar.js';
import { BadRange, Empty, ErrorBox, Loading } from '../components/States.js';
import { NO_POINTS, Timeline } from '../components/Timeline.js';
import { NoData } from '../components/NoData.js';

export const MAX_NODES = 8192;

/** Pyroscope's single view: one query over one range, its timeline, table and flame graph. */
export function SingleView({ url, theme }: { url: UrlState; theme: Theme }): React.JSX.Element {
  const vq = useViewQuery(url);
  const { query, range } = vq;
  if (vq.noData) return <NoData />;
  if (range === null) return <BadRange from={vq.from} until={vq.until} />;
  const unit = sampleUnitOf(query.profileType);
  return (
    <div className="view single-view" data-testid="single-view">
      <QueryBar
        query={query}
        range={range}
        onQuery={vq.setQuery}
        time={{ from: vq.from, until: vq.until, onRange: vq.setRange }}
      />
      {vq.choosing ? <Loading what="services" /> : <SingleBody url={url} theme={theme} unit={unit} vq={vq} />}
    </div>
  );
}

function SingleBody({
  url,
  theme,
  unit,
  vq,
}: {
  url: UrlState;
  theme: Theme;
  unit: string;
  vq: ReturnType<typeof useViewQuery>;
}): React.JSX.Element {
  const range = vq.range!;
  const q = `${vq.query.profileType}${formatSelector(vq.query.matchers)}`;
  const key = `${q} ${range.fromMs} ${range.untilMs}`;
  const render = useAsync(`render ${key}`, (signal) => fetchRender(q, range, MAX_NODES, signal));
  const series = useAsync(`series ${key}`, (signal) =>
    fetchSeries(vq.query.profileType, formatSelector(vq.query.matchers), range, stepSecondsFor(range), [], signal),
  );
  const state = viewerStateOf(url.get);
  return (
    <>
      {series.status === 'error' ? (
        <ErrorBox error={series.error} title="Timeline failed" />
      ) : (
        <Timeline
          series={[{ label: 'total', points: series.value?.[0]?.points ?? NO_POINTS }]}
          fromMs={range.fromMs}
          untilMs={range.untilMs}
          unit={unit}
          theme={theme}
          onSelect={(f, u) => vq.setRange(String(f), String(u))}
        />
      )}
      {render.status === 'error' ? (
        <ErrorBox error={render.error} title="Query failed" />
      ) : render.value === undefined ? (
        <Loading what="flame graph" />
      ) : render.value.flamebearer.numTicks === 0 ? (
        <Empty>
          No profiles of <code>{vq.query.profileType}</code> for <code>{serviceOf(vq.query) || 'this selector'}</code>{' '}
          in this range. Pick a wider range or another profile type.
        </Empty>
      ) : (
        <div className={render.status === 'loading' ? 'stale' : ''} aria-busy={render.status === 'loading'}>
          <ProfileViewer
            flamebearer={render.value.flamebearer}
            unit={unit}
            profileType={vq.query.profileType}
            name={serviceOf(vq.query) || 'profile'}
            fromMs={range.fromMs}
            untilMs={range.untilMs}
            state={state}
            onState={(patch) => url.update(viewerParams(patch))}
          />
        </div>
      )}
    </>
  );
}
