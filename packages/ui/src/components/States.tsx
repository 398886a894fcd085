import { ApiError } from '../api/client.js';

export function Loading({ what }: { what: string }): React.JSX.Element {
  return (
    <div className="state state-loading" role="status" data-testid="loading">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

/** An error with its code, as the server named it (ERR_QUERY_..., ERR_FORMAT_...). */
export function ErrorBox({ error, title }: { error: Error; title?: string }): React.JSX.Element {
  const code = error instanceof ApiError ? error.code : (error as { code?: string }).code;
  return (
    <div className="state state-error" role="alert" data-testid="error">
      <strong>{title ?? 'Something went wrong'}</strong>
      {code && <code className="error-code">{code}</code>}
      <p>{error.message}</p>
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }): React.JSX.Element {
  return (
    <div className="state state-empty" data-testid="empty">
      {children}
    </div>
  );
}

/** `from`/`until` in the URL that are not a time range. */
export function BadRange({ from, until }: { from: string; until: string }): React.JSX.Element {
  return <ErrorBox error={new Error(`\`${from}\` to \`${until}\` is not a time range`)} title="Bad time range" />;
}

/** The search box of a view, kept in the URL's `search` (or the caller's state). */
export function SearchBox({
  value,
  onChange,
  placeholder = 'Search functions',
}: {
  value: string;
  onChange(value: string): void;
  placeholder?: string;
}): React.JSX.Element {
  return (
    <input
      type="search"
      className="search"
      placeholder={placeholder}
      aria-label="Search functions"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      data-testid="search"
    />
  );
}
