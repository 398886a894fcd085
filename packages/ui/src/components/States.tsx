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
