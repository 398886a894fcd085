import { useMemo, useRef } from 'react';
import { decodeFlamebearer, type Flamebearer } from '@kiln/model';
import { formatPercent, formatValue } from '../app/units.js';
import type { ExportSource } from '../export/exports.js';
import { FlameGraph } from '../flame-graph/FlameGraph.js';
import { renderFlamePng } from '../flame-graph/render-png.js';
import { searchShare } from '../flame-graph/search.js';
import { decodeFlameData } from '../flame-graph/flame-data.js';
import type { NodePath } from '../flame-graph/types.js';
import { ExportMenu } from './ExportMenu.js';
import { SandwichView } from './SandwichView.js';
import { SearchBox } from './States.js';
import { TopTable } from './TopTable.js';

export const VIEWER_MODES = ['both', 'table', 'flamegraph', 'sandwich'] as const;
export type ViewerMode = (typeof VIEWER_MODES)[number];

const MODE_LABELS: Record<ViewerMode, string> = {
  both: 'Table & flame graph',
  table: 'Table',
  flamegraph: 'Flame graph',
  sandwich: 'Sandwich',
};

/** What the viewer shows; the views keep it in the URL (ad-hoc keeps it in memory). */
export interface ViewerState {
  mode: ViewerMode;
  search: string;
  focus: NodePath | null;
  /** The sandwich view's function. */
  fn: string;
}

export interface ProfileViewerProps {
  flamebearer: Flamebearer;
  unit: string;
  profileType: string;
  name: string;
  fromMs?: number;
  untilMs?: number;
  state: ViewerState;
  onState(patch: Partial<ViewerState>): void;
}

/** Reads the viewer's state from URL parameters (`view`, `search`, `focus`, `fn`). */
export function viewerStateOf(get: (name: string) => string): ViewerState {
  const mode = get('view') as ViewerMode;
  const focus = get('focus');
  return {
    mode: VIEWER_MODES.includes(mode) ? mode : 'both',
    search: get('search'),
    focus: focus === '' ? null : focus.split(';'),
    fn: get('fn'),
  };
}

/** The viewer's state as URL parameters (empty values are removed from the URL). */
export function viewerParams(patch: Partial<ViewerState>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (patch.mode !== undefined) out.view = patch.mode === 'both' ? null : patch.mode;
  if (patch.search !== undefined) out.search = patch.search;
  if (patch.focus !== undefined) out.focus = patch.focus === null ? null : patch.focus.join(';');
  if (patch.fn !== undefined) out.fn = patch.fn;
  return out;
}

/**
 * One profile: the top-functions table beside the flame graph (or either alone, or the
 * sandwich view of one function), with search and export. Used by the single view, the tag
 * explorer and ad-hoc files.
 */
export function ProfileViewer(props: ProfileViewerProps): React.JSX.Element {
  const { flamebearer, unit, state, onState } = props;
  const tree = useMemo(() => decodeFlamebearer(flamebearer), [flamebearer]);
  const data = useMemo(() => decodeFlameData(flamebearer, false), [flamebearer]);
  const share = useMemo(() => (state.search === '' ? null : searchShare(data, state.search)), [data, state.search]);
  const latest = useRef(props);
  latest.current = props;
  const source = (): ExportSource => ({
    tree,
    flamebearer: latest.current.flamebearer,
    profileType: latest.current.profileType,
    name: latest.current.name,
    ...(latest.current.fromMs !== undefined ? { fromMs: latest.current.fromMs } : {}),
    ...(latest.current.untilMs !== undefined ? { untilMs: latest.current.untilMs } : {}),
  });
  const png = (): Promise<Blob> =>
    renderFlamePng({
      flamebearer: latest.current.flamebearer,
      focus: latest.current.state.focus,
      search: latest.current.state.search,
      widthPx: 1600,
    });
  const sandwich = (fn: string): void => onState({ mode: 'sandwich', fn });
  return (
    <div className="profile-viewer" data-testid="profile-viewer">
      <div className="toolbar">
        <div className="modes" role="tablist" aria-label="View">
          {VIEWER_MODES.map((m) => (
            <button
              key={m}
              type="button"
              role="tab"
              aria-selected={state.mode === m}
              className={state.mode === m ? 'active' : ''}
              onClick={() => onState({ mode: m })}
              data-testid={`mode-${m}`}
            >
              {MODE_LABELS[m]}
            </button>
          ))}
        </div>
        <SearchBox value={state.search} onChange={(search) => onState({ search })} />
        {share && (
          <span className="search-share" data-testid="search-share" data-matched={share.matchedTotal}>
            {share.nodes === 0
              ? 'no match'
              : `${formatPercent(share.matchedTotal, share.total)} of the graph (${formatValue(share.matchedTotal, unit)}) in ${share.nodes} node${share.nodes === 1 ? '' : 's'}`}
          </span>
        )}
        <span className="spacer" />
        <ExportMenu source={source} png={png} />
      </div>
      <div className={`viewer-body mode-${state.mode}`}>
        {(state.mode === 'both' || state.mode === 'table' || state.mode === 'sandwich') && (
          <TopTable
            tree={tree}
            unit={unit}
            search={state.search}
            selected={state.mode === 'sandwich' ? state.fn : undefined}
            onSelect={(fn) => (state.mode === 'sandwich' ? onState({ fn }) : onState({ search: fn }))}
            onSandwich={sandwich}
          />
        )}
        {(state.mode === 'both' || state.mode === 'flamegraph') && (
          <FlameGraph
            flamebearer={flamebearer}
            unit={unit}
            focus={state.focus}
            onFocus={(focus) => onState({ focus })}
            search={state.search}
            onSandwich={sandwich}
            testId="flame-graph"
          />
        )}
        {state.mode === 'sandwich' && (
          <SandwichView
            tree={tree}
            name={state.fn}
            unit={unit}
            search={state.search}
            onSandwich={(fn) => onState({ fn })}
          />
        )}
      </div>
    </div>
  );
}
