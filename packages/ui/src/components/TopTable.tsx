import { useMemo, useState } from 'react';
import { selectTopFunctions, type CallTree } from '@kiln/model';
import { formatPercent, formatValue } from '../app/units.js';

type SortKey = 'name' | 'self' | 'total';

export interface TopTableProps {
  tree: CallTree;
  unit: string;
  /** Rows whose name contains it (case-insensitive) are shown; the rest are hidden. */
  search: string;
  /** The highlighted function (the sandwich's, or the one clicked). */
  selected?: string;
  onSelect(name: string): void;
  onSandwich?(name: string): void;
}

const PAGE = 300;

/** Top functions, pprof's flat (self) and cum (total), sortable by any column. */
export function TopTable({ tree, unit, search, selected, onSelect, onSandwich }: TopTableProps): React.JSX.Element {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'self', desc: true });
  const [shown, setShown] = useState(PAGE);
  const all = useMemo(() => selectTopFunctions(tree), [tree]);
  const grand = tree.totalValue;
  const rows = useMemo(() => {
    const needle = search.toLowerCase();
    const filtered = needle === '' ? all.slice() : all.filter((f) => f.name.toLowerCase().includes(needle));
    const dir = sort.desc ? -1 : 1;
    filtered.sort((a, b) =>
      sort.key === 'name'
        ? dir * a.name.localeCompare(b.name)
        : dir * (a[sort.key] - b[sort.key]) || a.name.localeCompare(b.name),
    );
    return filtered;
  }, [all, search, sort]);
  const header = (key: SortKey, label: string): React.JSX.Element => (
    <th
      scope="col"
      aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
      className={key === 'name' ? 'col-name' : 'col-num'}
    >
      <button
        type="button"
        onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'name' }))}
        data-testid={`sort-${key}`}
      >
        {label}
        {sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  return (
    <div className="top-table" data-testid="top-table">
      <table>
        <thead>
          <tr>
            {header('name', 'Symbol')}
            {header('self', 'Self')}
            {header('total', 'Total')}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, shown).map((f) => (
            <tr
              key={f.name}
              className={f.name === selected ? 'selected' : ''}
              data-name={f.name}
              data-self={f.self}
              data-total={f.total}
              onClick={() => onSelect(f.name)}
            >
              <td className="col-name" title={f.name}>
                <span className="fn-name">{f.name}</span>
                {onSandwich && (
                  <button
                    type="button"
                    className="row-action"
                    title="Sandwich view: callers and callees"
                    aria-label={`Sandwich view of ${f.name}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      onSandwich(f.name);
                    }}
                  >
                    sandwich
                  </button>
                )}
              </td>
              <td className="col-num">
                {formatValue(f.self, unit)} <span className="pct">{formatPercent(f.self, grand)}</span>
              </td>
              <td className="col-num">
                {formatValue(f.total, unit)} <span className="pct">{formatPercent(f.total, grand)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown && (
        <button type="button" className="show-more" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, rows.length - shown)} more of {rows.length - shown}
        </button>
      )}
      {rows.length === 0 && <p className="table-empty">No function matches “{search}”.</p>}
    </div>
  );
}
