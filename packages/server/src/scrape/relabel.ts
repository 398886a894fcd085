import type { RelabelConfig } from './scrape-config.js';

export type LabelSet = Record<string, string>;

/**
 * Applies Prometheus relabel rules in order to a target's labels; null when a rule drops the
 * target. The input is not changed. Semantics follow Prometheus's `relabel.Process`: source
 * values are joined with `separator` (a missing label is ""), `regex` is anchored, `$1`, `${1}`
 * and `${name}` in `replacement` (and in `target_label`) expand to groups, and a `replace`
 * whose result is empty deletes the target label.
 *
 * @example
 *   relabel({ __meta_kubernetes_namespace: 'shop' }, [rule]) // { ..., namespace: 'shop' }
 */
export function relabel(labels: Readonly<LabelSet>, rules: readonly RelabelConfig[]): LabelSet | null {
  const out: LabelSet = { ...labels };
  for (const rule of rules) if (!apply(out, rule)) return null;
  return out;
}

/** Applies one rule in place; false drops the target. */
function apply(labels: LabelSet, rule: RelabelConfig): boolean {
  const value = rule.sourceLabels.map((l) => labels[l] ?? '').join(rule.separator);
  switch (rule.action) {
    case 'keep':
      return rule.regex.test(value);
    case 'drop':
      return !rule.regex.test(value);
    case 'keepequal':
      return value === (labels[rule.targetLabel] ?? '');
    case 'dropequal':
      return value !== (labels[rule.targetLabel] ?? '');
    case 'replace': {
      const m = rule.regex.exec(value);
      if (!m) return true;
      const target = expand(rule.targetLabel, m);
      const result = expand(rule.replacement, m);
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(target)) return true;
      if (result === '') delete labels[target];
      else labels[target] = result;
      return true;
    }
    case 'lowercase':
      labels[rule.targetLabel] = value.toLowerCase();
      return true;
    case 'uppercase':
      labels[rule.targetLabel] = value.toUpperCase();
      return true;
    case 'labelmap':
      for (const [name, v] of Object.entries(labels)) {
        const m = rule.regex.exec(name);
        if (m) labels[expand(rule.replacement, m)] = v;
      }
      return true;
    case 'labeldrop':
      for (const name of Object.keys(labels)) if (rule.regex.test(name)) delete labels[name];
      return true;
    case 'labelkeep':
      for (const name of Object.keys(labels)) if (!rule.regex.test(name)) delete labels[name];
      return true;
  }
}

/** Go's regexp.Expand: `$$`, `$1`, `${1}`, `$name`, `${name}`; unknown groups are empty. */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(?:(\$)|\{(\w+)\}|(\w+))/g, (_all, dollar?: string, braced?: string, bare?: string) => {
    if (dollar) return '$';
    const ref = (braced ?? bare)!;
    if (/^\d+$/.test(ref)) return m[Number(ref)] ?? '';
    return m.groups?.[ref] ?? '';
  });
}
