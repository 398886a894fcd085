import { useMemo, useState } from 'react';
import { buildSandwich, encodeFlamebearer, type CallTree } from '@kiln/model';
import { FlameGraph } from '../flame-graph/FlameGraph.js';
import type { NodePath } from '../flame-graph/types.js';
import { formatPercent, formatValue } from '../app/units.js';
import { Empty } from './States.js';

export interface SandwichViewProps {
  tree: CallTree;
  name: string;
  unit: string;
  search: string;
  onSandwich(name: string): void;
}

/**
 * One function's callers above it (the root at the bottom, each row one caller further up) and
 * its callees below, each occurrence merged: where its time comes from and where it goes.
 */
export function SandwichView({ tree, name, unit, search, onSandwich }: SandwichViewProps): React.JSX.Element {
  const sandwich = useMemo(() => (name === '' ? null : buildSandwich(tree, name)), [tree, name]);
  const callers = useMemo(() => (sandwich ? encodeFlamebearer(sandwich.callers) : null), [sandwich]);
  const callees = useMemo(() => (sandwich ? encodeFlamebearer(sandwich.callees) : null), [sandwich]);
  const [callerFocus, setCallerFocus] = useState<NodePath | null>(null);
  const [calleeFocus, setCalleeFocus] = useState<NodePath | null>(null);
  if (name === '' || !sandwich || !callers || !callees || sandwich.callees.totalValue === 0) {
    return (
      <Empty>
        Pick a function in the table (its “sandwich” button) or a flame graph node (key s, or right-click) for its
        sandwich view.
      </Empty>
    );
  }
  const total = sandwich.callees.totalValue;
  return (
    <div className="sandwich" data-testid="sandwich">
      <h3>
        <span className="fn-name">{name}</span>{' '}
        <span className="muted">
          total {formatValue(total, unit)} ({formatPercent(total, tree.totalValue)})
        </span>
      </h3>
      <div className="sandwich-half">
        <h4>Callers</h4>
        <FlameGraph
          flamebearer={callers}
          unit={unit}
          focus={callerFocus}
          onFocus={setCallerFocus}
          search={search}
          inverted
          onSandwich={onSandwich}
          testId="sandwich-callers"
        />
      </div>
      <div className="sandwich-half">
        <h4>Callees</h4>
        <FlameGraph
          flamebearer={callees}
          unit={unit}
          focus={calleeFocus}
          onFocus={setCalleeFocus}
          search={search}
          onSandwich={onSandwich}
          testId="sandwich-callees"
        />
      </div>
    </div>
  );
}
