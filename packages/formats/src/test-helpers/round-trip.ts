import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCallTree, type Profile } from '@kiln/model';

/** The repository root, for reading testdata/. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function testdata(...parts: string[]): string {
  return join(repoRoot, 'testdata', ...parts);
}

/**
 * A human-readable dump of a profile: its header, then for each sample type the folded stacks
 * of its call tree (root first, sorted), then the label sets with how many samples carry each.
 * Two profiles with the same dump show the same flame graphs.
 */
export function dumpProfile(profile: Profile): string {
  const out: string[] = [];
  const types = profile.sampleTypes.map((t) => `${t.type}/${t.unit}`);
  out.push(`sample types: ${types.join(' ')}`);
  out.push(`default sample type: ${types[profile.defaultSampleType] ?? '?'}`);
  const pt = profile.periodType;
  out.push(`period: ${profile.period}${pt ? ` ${pt.type}/${pt.unit}` : ''}`);
  out.push(`time ns: ${profile.timeNs}  duration ns: ${profile.durationNs}`);
  out.push(`samples: ${profile.samples.length}`);
  profile.sampleTypes.forEach((t, i) => {
    const tree = buildCallTree(profile, { sampleType: i });
    out.push('', `# ${t.type}/${t.unit} total ${tree.totalValue}`, ...tree.toFolded());
  });
  const counts = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const set = profile.samples.labelSet[i]!;
    counts.set(set, (counts.get(set) ?? 0) + 1);
  }
  const labelLines = [...counts]
    .filter(([set]) => set !== 0)
    .map(([set, n]) => {
      const labels = profile.samples.labelSets[set]!.map((l) =>
        l.str !== undefined ? `${l.key}=${l.str}` : `${l.key}=${l.num}${l.unit ? l.unit : ''}`,
      );
      return `{${labels.join(',')}} ${n}`;
    })
    .sort();
  if (labelLines.length > 0) out.push('', '# label sets (samples)', ...labelLines);
  return out.join('\n') + '\n';
}

/**
 * Compares `actual` to the golden file; `UPDATE_GOLDENS=1 npm test` rewrites the goldens.
 */
export function assertGolden(goldenPath: string, actual: string): void {
  if (process.env['UPDATE_GOLDENS'] === '1' || !existsSync(goldenPath)) {
    if (process.env['CI'] && !existsSync(goldenPath)) assert.fail(`golden ${goldenPath} is missing`);
    mkdirSync(dirname(goldenPath), { recursive: true });
    writeFileSync(goldenPath, actual);
    return;
  }
  assert.equal(actual, readFileSync(goldenPath, 'utf8'), `golden ${goldenPath} differs (UPDATE_GOLDENS=1 to accept)`);
}

/**
 * The round trip every format passes: parse, dump and compare to the golden, serialize,
 * re-parse, and get the same dump.
 */
export function assertRoundTrip(
  profile: Profile,
  goldenPath: string,
  serialize: ((p: Profile) => Uint8Array | string) | null,
  parse: ((bytes: Uint8Array) => Profile | null) | null,
  normalize: (dump: string) => string = (d) => d,
): void {
  const dump = dumpProfile(profile);
  assertGolden(goldenPath, dump);
  if (serialize === null || parse === null) return;
  const out = serialize(profile);
  const again = parse(typeof out === 'string' ? new TextEncoder().encode(out) : out);
  assert.ok(again, 'the serialized output was not recognised by its own parser');
  assert.equal(normalize(dumpProfile(again)), normalize(dump));
}
