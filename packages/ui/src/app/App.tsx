import { useTheme } from './theme.js';
import { navigate, useUrlState, type UrlState } from './url-state.js';
import { AdhocView } from '../views/AdhocView.js';
import { ComparisonView } from '../views/ComparisonView.js';
import { DiffView } from '../views/DiffView.js';
import { SingleView } from '../views/SingleView.js';
import { TagExplorerView } from '../views/TagExplorerView.js';
import { TargetsView } from '../views/TargetsView.js';

/** The pages, at the paths Pyroscope's v0.x UI used (the server serves index.html at each). */
const PAGES = [
  { path: '/', label: 'Single view' },
  { path: '/comparison', label: 'Comparison' },
  { path: '/comparison-diff', label: 'Diff' },
  { path: '/explore', label: 'Tag explorer' },
  { path: '/adhoc', label: 'Ad-hoc' },
  { path: '/targets', label: 'Targets' },
] as const;

/** Parameters every page shares when switching pages: the query and the range. */
const SHARED = ['query', 'from', 'until'];

function linkTo(path: string, url: UrlState): string {
  const keep = new URLSearchParams();
  for (const k of SHARED) {
    const v = url.params.get(k);
    if (v) keep.set(k, v);
  }
  const qs = keep.toString();
  return `${path}${qs === '' ? '' : `?${qs}`}`;
}

export function App(): React.JSX.Element {
  const url = useUrlState();
  const [theme, toggleTheme] = useTheme();
  const page = PAGES.find((p) => p.path === url.path) ?? PAGES[0];
  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href="/" aria-label="Kiln home">
          <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true">
            <rect width="16" height="4" y="12" fill="#e8590c" />
            <rect width="10" height="4" y="8" fill="#f08c00" />
            <rect width="5" height="4" y="4" fill="#fab005" />
          </svg>
          Kiln
        </a>
        <nav aria-label="Views">
          {PAGES.map((p) => (
            <a
              key={p.path}
              href={linkTo(p.path, url)}
              className={p === page ? 'active' : ''}
              aria-current={p === page ? 'page' : undefined}
              data-testid={`nav-${p.path === '/' ? 'single' : p.path.slice(1)}`}
              onClick={(e) => {
                if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                e.preventDefault();
                navigate(linkTo(p.path, url));
              }}
            >
              {p.label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        <button
          type="button"
          className="theme-toggle"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === 'light' ? 'dark' : 'light'} theme`}
          data-testid="theme-toggle"
        >
          {theme === 'light' ? '☾' : '☀'}
        </button>
      </header>
      <main>
        {page.path === '/' && <SingleView url={url} theme={theme} />}
        {page.path === '/comparison' && <ComparisonView url={url} theme={theme} />}
        {page.path === '/comparison-diff' && <DiffView url={url} theme={theme} />}
        {page.path === '/explore' && <TagExplorerView url={url} theme={theme} />}
        {page.path === '/adhoc' && <AdhocView />}
        {page.path === '/targets' && <TargetsView />}
      </main>
    </div>
  );
}
