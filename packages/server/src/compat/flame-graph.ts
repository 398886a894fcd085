import assert from 'node:assert/strict';

/** One node of a decoded flame graph; x, total and self are in the profile's value unit. */
export interface FlameNode {
  name: string;
  depth: number;
  x: number;
  total: number;
  self: number;
  parent: FlameNode | null;
}

export interface FlameGraphView {
  total: number;
  nodes: FlameNode[];
  /** Self value summed over every node of that name. */
  selfByName: Map<string, number>;
  /** The nodes of one function name. */
  find(name: string): FlameNode[];
}

/**
 * Decodes a flame graph as a Pyroscope client does, without Kiln's own decoder: `levels[d]` holds
 * the nodes at depth d as 4 numbers each, `[x delta, total, self, name index]`, x being the gap
 * since the end of the previous node of the level (pyroscope-wire-apis.md §3.4). Used for both
 * the Connect `FlameGraph` (int64 as bigint) and the render JSON's `flamebearer`.
 *
 * It also asserts the layout a flame-graph UI relies on: one root named `total` holding
 * `total`; every node inside its parent's span after the parent's self part; and a parent's
 * self plus its children's totals equal to its total.
 */
export function readFlameGraph(
  names: readonly string[],
  levels: readonly (readonly (number | bigint)[])[],
  total: number | bigint,
): FlameGraphView {
  const nodes: FlameNode[] = [];
  let above: FlameNode[] = [];
  for (let depth = 0; depth < levels.length; depth++) {
    const values = levels[depth]!.map(Number);
    assert.equal(values.length % 4, 0, `level ${depth} has ${values.length} numbers, not 4 per node`);
    const level: FlameNode[] = [];
    let end = 0;
    let parentIndex = 0;
    for (let i = 0; i < values.length; i += 4) {
      const [delta, nodeTotal, self, nameIndex] = values.slice(i, i + 4) as [number, number, number, number];
      assert.ok(
        delta >= 0 && self >= 0 && self <= nodeTotal,
        `level ${depth} node ${i / 4}: ${values.slice(i, i + 4)}`,
      );
      const name = names[nameIndex];
      assert.ok(name !== undefined, `level ${depth} node ${i / 4}: name index ${nameIndex} out of range`);
      const x = end + delta;
      end = x + nodeTotal;
      let parent: FlameNode | null = null;
      if (depth > 0) {
        while (parentIndex < above.length && above[parentIndex]!.x + above[parentIndex]!.total <= x) parentIndex++;
        parent = above[parentIndex] ?? null;
        assert.ok(
          parent && x >= parent.x + parent.self && end <= parent.x + parent.total,
          `${name} at depth ${depth}, [${x}, ${end}), lies in no parent's span`,
        );
      }
      level.push({ name, depth, x, total: nodeTotal, self, parent });
    }
    if (depth === 0) {
      assert.equal(level.length, 1, 'one root');
      assert.equal(level[0]!.name, 'total', 'the root is named total');
      assert.equal(level[0]!.total, Number(total), 'the root holds the total');
    }
    nodes.push(...level);
    above = level;
  }
  const childTotals = new Map<FlameNode, number>();
  for (const n of nodes) if (n.parent) childTotals.set(n.parent, (childTotals.get(n.parent) ?? 0) + n.total);
  for (const n of nodes) {
    assert.equal(n.self + (childTotals.get(n) ?? 0), n.total, `${n.name} at depth ${n.depth}: self + children = total`);
  }
  const selfByName = new Map<string, number>();
  for (const n of nodes) selfByName.set(n.name, (selfByName.get(n.name) ?? 0) + n.self);
  return {
    total: Number(total),
    nodes,
    selfByName,
    find: (name) => nodes.filter((n) => n.name === name),
  };
}
