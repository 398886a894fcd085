import { useMemo, useState, type JSX } from 'react';
import { formatPercent } from '../app/units.js';
import { DiffLegend } from '../flame-graph/DiffLegend.js';
import { decodeFlameData } from '../flame-graph/flame-data.js';
import { FlameGraph } from '../flame-graph/FlameGraph.js';
import { searchShare } from '../flame-graph/search.js';
import type { NodePath } from '../flame-graph/types.js';
import standaloneCss from './standalone.css?inline';
import type { StandaloneData } from '@kiln/formats';

export function StandalonePage({ data }: { data: StandaloneData }): JSX.Element {
  const { flamebearer, metadata } = data;
  const diff = 'leftTicks' in flamebearer;
  const [focus, setFocus] = useState<NodePath | null>(null);
  const [search, setSearch] = useState('');
  const flameData = useMemo(() => decodeFlameData(flamebearer, diff), [flamebearer, diff]);
  const share = useMemo(() => (search.trim() === '' ? null : searchShare(flameData, search)), [flameData, search]);
  return (
    <main className="kiln-standalone">
      <style href="kiln-standalone" precedence="default">
        {standaloneCss}
      </style>
      <header>
        <h1>{metadata.name}</h1>
        <p>
          {metadata.profileType}
          {metadata.from !== null && metadata.until !== null && ` · ${formatRange(metadata.from, metadata.until)}`}
        </p>
      </header>
      <div className="kiln-standalone-toolbar">
        <input
          type="search"
          placeholder="Search functions"
          aria-label="Search functions"
          data-testid="flame-search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        {share !== null && (
          <span data-testid="flame-search-share">
            search matches {formatPercent(share.matchedTotal, share.total)} of the graph (
            {share.nodes.toLocaleString('en-US')} nodes)
          </span>
        )}
        {diff && <DiffLegend />}
      </div>
      <FlameGraph
        flamebearer={flamebearer}
        diff={diff}
        unit={metadata.unit}
        focus={focus}
        onFocus={setFocus}
        search={search}
      />
      <footer>Made with Kiln</footer>
    </main>
  );
}

/** `2026-11-25 10:00:00 – 11:00:00 UTC`: UTC, so the file reads the same in every time zone. */
function formatRange(fromMs: number, untilMs: number): string {
  const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const from = iso(fromMs);
  const until = iso(untilMs);
  return `${from} – ${until.slice(0, 10) === from.slice(0, 10) ? until.slice(11) : until} UTC`;
}
