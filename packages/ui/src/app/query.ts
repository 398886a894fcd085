/**
 * Pyroscope's query: a profile type id and a label selector,
 * `process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api",pod=~"api-.*"}`. The UI keeps
 * the whole query in the URL, as Pyroscope's UI does, and edits it through these functions.
 */
export type MatcherOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
}

export interface ParsedQuery {
  profileType: string;
  matchers: Matcher[];
}

const MATCHER = /\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/** Splits a query; a selector the UI cannot read keeps only the parts it could. */
export function parseQuery(query: string): ParsedQuery {
  const brace = query.indexOf('{');
  const profileType = (brace === -1 ? query : query.slice(0, brace)).trim();
  const matchers: Matcher[] = [];
  if (brace !== -1) {
    const body = query.slice(brace + 1, query.lastIndexOf('}') === -1 ? undefined : query.lastIndexOf('}'));
    MATCHER.lastIndex = 0;
    let m: RegExpExecArray | null;
    while (MATCHER.lastIndex < body.length && (m = MATCHER.exec(body)) !== null) {
      matchers.push({ name: m[1]!, op: m[2] as MatcherOp, value: m[3]!.replace(/\\(.)/g, '$1') });
    }
  }
  return { profileType, matchers };
}

export function formatSelector(matchers: readonly Matcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}"${m.value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

export function formatQuery(q: ParsedQuery): string {
  return `${q.profileType}${formatSelector(q.matchers)}`;
}

/** The `service_name="x"` matcher's value, or ''. */
export function serviceOf(q: ParsedQuery): string {
  return q.matchers.find((m) => m.name === 'service_name' && m.op === '=')?.value ?? '';
}

/** The query with one more matcher (replacing one on the same label with the same op). */
export function withMatcher(q: ParsedQuery, matcher: Matcher): ParsedQuery {
  return {
    ...q,
    matchers: [...q.matchers.filter((m) => !(m.name === matcher.name && m.op === matcher.op)), matcher],
  };
}

export function withoutMatcher(q: ParsedQuery, index: number): ParsedQuery {
  return { ...q, matchers: q.matchers.filter((_, i) => i !== index) };
}

/** The query for another service: the service matcher replaced, other filters dropped. */
export function withService(q: ParsedQuery, service: string): ParsedQuery {
  return { ...q, matchers: [{ name: 'service_name', op: '=', value: service }] };
}

/** The sample unit of a profile type id (`nanoseconds`, `bytes`, `count`), or `count`. */
export function sampleUnitOf(profileType: string): string {
  return profileType.split(':')[2] || 'count';
}
