import { assembleCallTree, type CallTree } from './call-tree.js';
import { KilnError } from './errors.js';
import { trimCallTree } from './trim.js';

/**
 * Pyroscope's flame graph encoding, as its UI and Grafana's decode it. `levels[d]` holds the
 * nodes at depth d (level 0 is the single root, named `names[0] === 'total'`), left to right,
 * 4 integers each: `[xDelta, total, self, nameIndex]`. x is a node's left edge in value units;
 * a node's self comes first and its children follow, sorted by name. `xDelta` is the gap from
 * the end of the previous node on the same level.
 */
export interface Flamebearer {
  names: string[];
  levels: number[][];
  numTicks: number;
  maxSelf: number;
}

/**
 * The diff ("double") form: 7 integers per node,
 * `[leftXDelta, leftTotal, leftSelf, rightXDelta, rightTotal, rightSelf, nameIndex]`, each x
 * column delta-encoded on its own. `numTicks = leftTicks + rightTicks`.
 */
export interface DiffFlamebearer extends Flamebearer {
  leftTicks: number;
  rightTicks: number;
}

export interface FlamebearerOptions {
  /** Trim to this many nodes (besides the root) first; cut nodes go into `other`. */
  maxNodes?: number;
}

export function encodeFlamebearer(tree: CallTree, options: FlamebearerOptions = {}): Flamebearer {
  const t = options.maxNodes === undefined ? tree : trimCallTree(tree, options.maxNodes);
  const names: string[] = [];
  const nameIndex = new Int32Array(t.names.length).fill(-1);
  const levels: number[][] = [];
  let maxSelf = 0;
  // DFS that pops the last-pushed sibling first, as Pyroscope's encoder does: names[] is in
  // that visiting order, and each level is filled right to left, then reversed.
  const nodes: number[] = [0];
  const xs: number[] = [0];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    let x = xs.pop()!;
    const depth = depths.pop()!;
    const id = t.nameId[node]!;
    if (nameIndex[id] === -1) {
      nameIndex[id] = names.length;
      names.push(node === 0 ? 'total' : t.names[id]!);
    }
    const self = t.self[node]!;
    if (self > maxSelf) maxSelf = self;
    (levels[depth] ??= []).push(nameIndex[id]!, self, t.total[node]!, x);
    x += self;
    for (const c of t.children(node)) {
      nodes.push(c);
      xs.push(x);
      depths.push(depth + 1);
      x += t.total[c]!;
    }
  }
  for (const level of levels) {
    level.reverse();
    let prev = 0;
    for (let i = 0; i < level.length; i += 4) {
      const x = level[i]!;
      level[i] = x - prev;
      prev = x + level[i + 1]!;
    }
  }
  return { names, levels, numTicks: t.totalValue, maxSelf };
}

/** Rebuilds the call tree of a flamebearer. Throws ERR_FLAMEBEARER_INVALID on malformed input. */
export function decodeFlamebearer(fb: Flamebearer): CallTree {
  const columns = decodeLevels(fb, 4);
  const self = Float64Array.from(columns.map((c) => c.self0));
  return assembleFromLevels(fb, columns, self);
}

interface DecodedNode {
  parent: number;
  nameIndex: number;
  x0: number;
  total0: number;
  self0: number;
  x1: number;
  total1: number;
  self1: number;
}

function decodeLevels(fb: Flamebearer, stride: 4 | 7): DecodedNode[] {
  if (!Array.isArray(fb.names) || !Array.isArray(fb.levels)) invalid('names and levels must be arrays');
  const out: DecodedNode[] = [];
  let prevLevel: number[] = [];
  for (let d = 0; d < fb.levels.length; d++) {
    const level = fb.levels[d]!;
    if (!Array.isArray(level) || level.length % stride !== 0) {
      invalid(`level ${d} has ${level?.length} values, not a multiple of ${stride}`);
    }
    if (d === 0 && level.length !== stride) invalid('level 0 must hold exactly the root');
    const here: number[] = [];
    let prev0 = 0;
    let prev1 = 0;
    let p = 0;
    for (let i = 0; i < level.length; i += stride) {
      const v = (k: number): number => {
        const n = Number(level[i + k]);
        if (!Number.isFinite(n)) invalid(`level ${d} node ${i / stride} has a non-numeric value`);
        return n;
      };
      const node: DecodedNode = {
        parent: -1,
        nameIndex: v(stride - 1),
        x0: v(0) + prev0,
        total0: v(1),
        self0: v(2),
        x1: 0,
        total1: 0,
        self1: 0,
      };
      prev0 = node.x0 + node.total0;
      if (stride === 7) {
        node.x1 = v(3) + prev1;
        node.total1 = v(4);
        node.self1 = v(5);
        prev1 = node.x1 + node.total1;
      }
      if (node.nameIndex < 0 || node.nameIndex >= fb.names.length || !Number.isInteger(node.nameIndex)) {
        invalid(`level ${d} node ${i / stride} names index ${node.nameIndex}, names has ${fb.names.length}`);
      }
      if (d > 0) {
        // Parents on the level above are in x order, so one forward sweep finds each parent.
        while (p < prevLevel.length && !contains(out[prevLevel[p]!]!, node)) p++;
        if (p === prevLevel.length) invalid(`level ${d} node ${i / stride} lies under no node of level ${d - 1}`);
        node.parent = prevLevel[p]!;
      }
      here.push(out.length);
      out.push(node);
    }
    prevLevel = here;
  }
  if (out.length === 0) invalid('no root level');
  return out;
}

function contains(parent: DecodedNode, child: DecodedNode): boolean {
  return (
    (child.total0 > 0 && child.x0 >= parent.x0 && child.x0 < parent.x0 + parent.total0) ||
    (child.total1 > 0 && child.x1 >= parent.x1 && child.x1 < parent.x1 + parent.total1)
  );
}

function assembleFromLevels(fb: Flamebearer, nodes: DecodedNode[], self: Float64Array): CallTree {
  const names = fb.names.map(String);
  const nameId = Uint32Array.from(nodes.map((n) => n.nameIndex));
  nameId[0] = 0;
  names[0] = 'total';
  // Levels list nodes breadth-first, so a parent always comes before its children.
  return assembleCallTree(names, Int32Array.from(nodes.map((n) => n.parent)), nameId, self);
}

function invalid(message: string): never {
  throw new KilnError('ERR_FLAMEBEARER_INVALID', `invalid flamebearer: ${message}`);
}

export { decodeLevels as decodeFlamebearerLevels, assembleFromLevels as assembleFlamebearerTree };
