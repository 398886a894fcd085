import { storageError } from './errors.js';
import type { Labels, Matcher } from './profile-store.js';

export interface SeriesEntry {
  id: bigint;
  profileType: string;
  labels: Labels;
}

/**
 * One tenant's series and an inverted index from label name and value to series. Matchers
 * follow Prometheus: regexes are fully anchored, and a missing label matches as "".
 */
export class SeriesIndex {
  readonly byId = new Map<bigint, SeriesEntry>();
  private readonly postings = new Map<string, Map<string, Set<bigint>>>();

  get size(): number {
    return this.byId.size;
  }

  add(entry: SeriesEntry): void {
    if (this.byId.has(entry.id)) return;
    this.byId.set(entry.id, entry);
    for (const [name, value] of Object.entries(entry.labels)) {
      let values = this.postings.get(name);
      if (values === undefined) this.postings.set(name, (values = new Map()));
      let ids = values.get(value);
      if (ids === undefined) values.set(value, (ids = new Set()));
      ids.add(entry.id);
    }
  }

  /** Series matching every matcher (and the profile type, when given). */
  select(matchers: readonly Matcher[], profileType?: string): SeriesEntry[] {
    const all = profileType === undefined ? [] : [{ name: '__profile_type__', op: '=' as const, value: profileType }];
    const ms = [...all, ...matchers];
    // Start from the smallest equality posting list, then filter by the rest.
    let candidates: Iterable<bigint> | null = null;
    let best = Infinity;
    for (const m of ms) {
      if (m.op !== '=' || m.value === '') continue;
      const ids = this.postings.get(m.name)?.get(m.value);
      if (ids === undefined) return [];
      if (ids.size < best) {
        best = ids.size;
        candidates = ids;
      }
    }
    const tests = ms.map(compileMatcher);
    const out: SeriesEntry[] = [];
    for (const id of candidates ?? this.byId.keys()) {
      const entry = this.byId.get(id)!;
      if (tests.every((t) => t(entry.labels))) out.push(entry);
    }
    return out;
  }
}

function compileMatcher(m: Matcher): (labels: Labels) => boolean {
  const get = (labels: Labels): string => labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return (l) => get(l) === m.value;
    case '!=':
      return (l) => get(l) !== m.value;
    case '=~': {
      const re = anchored(m);
      return (l) => re.test(get(l));
    }
    case '!~': {
      const re = anchored(m);
      return (l) => !re.test(get(l));
    }
  }
}

function anchored(m: Matcher): RegExp {
  try {
    return new RegExp(`^(?:${m.value})$`, 'u');
  } catch (err) {
    throw storageError('ERR_STORAGE_INVALID_MATCHER', `${m.name}${m.op}"${m.value}": ${(err as Error).message}`);
  }
}
