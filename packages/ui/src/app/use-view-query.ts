import { useEffect, useState } from 'react';
import { fetchLabelValues, fetchProfileTypesOf } from '../api/client.js';
import { formatQuery, parseQuery, serviceOf, type ParsedQuery } from './query.js';
import { resolveRange, type ResolvedRange } from './time-range.js';
import type { UrlState } from './url-state.js';

export const DEFAULT_FROM = 'now-1h';
export const DEFAULT_UNTIL = 'now';

/** The profile type picked when a service is chosen and the URL names none: CPU time first. */
const PREFERRED_PREFIXES = ['process_cpu:cpu:', 'wall:wall:', 'process_cpu:'];

function preferredType(types: readonly string[]): string {
  for (const prefix of PREFERRED_PREFIXES) {
    const found = types.find((t) => t.startsWith(prefix));
    if (found) return found;
  }
  return types[0] ?? '';
}

export interface ViewQuery {
  query: ParsedQuery;
  from: string;
  until: string;
  /** Null when `from`/`until` are not times or the range is empty. */
  range: ResolvedRange | null;
  /** True while the first service and profile type are being picked. */
  choosing: boolean;
  /** Set when no service has data in the range. */
  noData: boolean;
  setQuery(q: ParsedQuery): void;
  setRange(from: string, until: string): void;
}

/**
 * The view's query and range from the URL (`query`, `from`, `until`). With no query, the first
 * service with data and its CPU profile type are chosen and written to the URL, as Pyroscope's
 * UI does on first load. "now" is taken when the URL changes, not on every render.
 */
export function useViewQuery(url: UrlState, names = { query: 'query', from: 'from', until: 'until' }): ViewQuery {
  const rawQuery = url.get(names.query);
  const from = url.get(names.from, DEFAULT_FROM);
  const until = url.get(names.until, DEFAULT_UNTIL);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => setNow(Date.now()), [from, until, rawQuery]);
  const range = resolveRange(from, until, now);
  const query = parseQuery(rawQuery);
  const service = serviceOf(query);
  const needsChoice = range !== null && (service === '' || query.profileType === '');
  const [noData, setNoData] = useState(false);

  useEffect(() => {
    if (!needsChoice || range === null) return;
    const abort = new AbortController();
    void (async () => {
      try {
        let svc = service;
        if (svc === '') {
          const services = await fetchLabelValues('service_name', '', range, abort.signal);
          if (services.length === 0) {
            setNoData(true);
            return;
          }
          svc = services.find((s) => s !== 'kiln-server') ?? services[0]!;
        }
        const types = await fetchProfileTypesOf(`{service_name="${svc}"}`, range, abort.signal);
        const type = preferredType(types);
        setNoData(false);
        const matchers = query.matchers.some((m) => m.name === 'service_name')
          ? query.matchers
          : [{ name: 'service_name', op: '=' as const, value: svc }, ...query.matchers];
        url.update({ [names.query]: formatQuery({ profileType: query.profileType || type, matchers }) });
      } catch {
        // The view shows the failure when it queries; nothing to choose from here.
      }
    })();
    return () => abort.abort();
    // Re-run only when what is chosen from changes.
  }, [needsChoice, service, range?.fromMs, range?.untilMs]);

  return {
    query,
    from,
    until,
    range,
    choosing: needsChoice && !noData,
    noData: needsChoice && noData,
    setQuery: (q) => url.update({ [names.query]: formatQuery(q), focus: null }, { push: true }),
    setRange: (f, u) => url.update({ [names.from]: f, [names.until]: u }, { push: true }),
  };
}
