import { useCallback, useSyncExternalStore } from 'react';

/**
 * Everything a view shows lives in the URL (path and query string), so a link reproduces the
 * view. Parameter names follow Pyroscope's UI: `query`, `from`, `until`, `leftFrom`, `rightFrom`,
 * `groupBy`, `groupByValue`; Kiln adds `search`, `focus`, `view`, `fn` (the sandwich function).
 */
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

export interface UrlState {
  path: string;
  params: URLSearchParams;
  get(name: string, fallback?: string): string;
  /** Sets (or with null removes) parameters; `push` adds a history entry (range changes). */
  update(patch: Record<string, string | null>, options?: { push?: boolean; path?: string }): void;
}

export function navigate(url: string): void {
  window.history.pushState(null, '', url);
  for (const l of listeners) l();
}

export function useUrlState(): UrlState {
  const current = useSyncExternalStore(subscribe, snapshot);
  const q = current.indexOf('?');
  const path = q === -1 ? current : current.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : current.slice(q));
  const update = useCallback(
    (patch: Record<string, string | null>, options: { push?: boolean; path?: string } = {}) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      const qs = next.toString();
      const url = `${options.path ?? window.location.pathname}${qs === '' ? '' : `?${qs}`}`;
      if (options.push) window.history.pushState(null, '', url);
      else window.history.replaceState(null, '', url);
      for (const l of listeners) l();
    },
    [],
  );
  return { path, params, get: (name, fallback = '') => params.get(name) ?? fallback, update };
}
