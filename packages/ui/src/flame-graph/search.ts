import type { FlameData } from './flame-data.js';

/** What a search matches, for "search matches X % of the graph". */
export interface SearchShare {
  /** Sum of the totals of matching nodes, each subtree once: a match under a match adds nothing. */
  matchedTotal: number;
  /** The graph's total (leftTicks + rightTicks in a diff). */
  total: number;
  /** Matching nodes, nested ones included. */
  nodes: number;
}

/**
 * Which nodes a search matches (never the root): per name, and per level a running count of matching nodes,
 * so the renderer can tell in O(1) whether a merged run of nodes holds a match.
 */
export interface SearchMask {
  readonly nameMatches: Uint8Array;
  /** `matchesBefore[d][i]`: matching nodes among level d's nodes `[0, i)`. */
  readonly matchesBefore: readonly Int32Array[];
}

/** Case-insensitive substring match of every name; null for an empty query. */
function matchNames(names: readonly string[], query: string): Uint8Array | null {
  const q = query.trim().toLowerCase();
  if (q === '') return null;
  const out = new Uint8Array(names.length);
  for (let i = 0; i < names.length; i++) out[i] = names[i]!.toLowerCase().includes(q) ? 1 : 0;
  return out;
}

export function buildSearchMask(data: FlameData, query: string): SearchMask | null {
  const nameMatches = matchNames(data.names, query);
  if (nameMatches === null) return null;
  const matchesBefore = data.levels.map((level, d) => {
    const before = new Int32Array(level.size + 1);
    if (d === 0) return before;
    for (let i = 0; i < level.size; i++) before[i + 1] = before[i]! + nameMatches[level.name[i]!]!;
    return before;
  });
  return { nameMatches, matchesBefore };
}

export function searchShare(data: FlameData, query: string): SearchShare {
  const share: SearchShare = { matchedTotal: 0, total: data.total, nodes: 0 };
  const nameMatches = matchNames(data.names, query);
  if (nameMatches === null) return share;
  // covered: the node or one of its ancestors matches; levels are visited root first. The
  // root is not a function, so a search for "tot" does not match all of it.
  let coveredAbove = new Uint8Array(1);
  for (const level of data.levels.slice(1)) {
    const covered = new Uint8Array(level.size);
    for (let i = 0; i < level.size; i++) {
      const parentCovered = level.parent[i]! >= 0 && coveredAbove[level.parent[i]!] === 1;
      const matches = nameMatches[level.name[i]!] === 1;
      if (matches) share.nodes++;
      if (matches && !parentCovered) share.matchedTotal += level.total[i]!;
      covered[i] = matches || parentCovered ? 1 : 0;
    }
    coveredAbove = covered;
  }
  return share;
}
