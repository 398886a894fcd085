import { KilnError, parseProfileTypeId } from '@kiln/model';
import type { Matcher } from '../storage/profile-store.js';
import type { QueryErrorCode } from './errors.js';

/**
 * Pyroscope's query language is the Prometheus series selector: `{service_name="api", pod=~"api-.*"}`,
 * optionally prefixed by a profile type id as the metric name:
 * `process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api"}`.
 */
export interface ParsedQuery {
  /** The profile type id before the braces, or '' when there is none. */
  profileType: string;
  matchers: Matcher[];
}

const OPS = ['=~', '!~', '!=', '='] as const;

/** Parses `{a="b", c!~"d.*"}` (braces optional when empty). Throws ERR_QUERY_INVALID_SELECTOR. */
export function parseLabelSelector(text: string): Matcher[] {
  const parsed = parseQuery(text);
  if (parsed.profileType !== '') throw invalid(text, 'expected only `{...}` label matchers here');
  return parsed.matchers;
}

/**
 * Parses `profile_type{matchers}`. A profile type must have five colon-separated parts (the period
 * parts may be empty: `memory:alloc_space:bytes::`).
 */
export function parseQuery(text: string): ParsedQuery {
  const s = text.trim();
  const brace = s.indexOf('{');
  const head = (brace < 0 ? s : s.slice(0, brace)).trim();
  if (head !== '' && !isProfileType(head)) {
    throw invalid(text, `\`${head}\` is not a profile type id (name:sample_type:sample_unit:period_type:period_unit)`);
  }
  if (brace < 0) return { profileType: head, matchers: [] };
  const matchers: Matcher[] = [];
  let i = brace + 1;
  const skipSpace = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (s[i] === '}') {
      i++;
      break;
    }
    const nameStart = i;
    while (i < s.length && /[A-Za-z0-9_.]/.test(s[i]!)) i++;
    const name = s.slice(nameStart, i);
    if (name === '' || /^[0-9]/.test(name)) throw invalid(text, `expected a label name at offset ${nameStart}`);
    skipSpace();
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op === undefined) throw invalid(text, `expected =, !=, =~ or !~ after \`${name}\` at offset ${i}`);
    i += op.length;
    skipSpace();
    const quote = s[i];
    if (quote !== '"' && quote !== "'" && quote !== '`') throw invalid(text, `expected a quoted value at offset ${i}`);
    i++;
    let value = '';
    for (;;) {
      if (i >= s.length) throw invalid(text, 'unterminated string');
      const c = s[i]!;
      if (c === quote) {
        i++;
        break;
      }
      if (c === '\\' && quote !== '`' && i + 1 < s.length) {
        const n = s[i + 1]!;
        value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    if (op === '=~' || op === '!~') {
      try {
        new RegExp(`^(?:${value})$`);
      } catch {
        throw invalid(text, `the regular expression \`${value}\` does not compile`);
      }
    }
    matchers.push({ name, op, value });
    skipSpace();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] === '}') {
      i++;
      break;
    }
    throw invalid(text, `expected , or } at offset ${i}`);
  }
  skipSpace();
  if (i !== s.length) throw invalid(text, `unexpected text after } at offset ${i}`);
  return { profileType: head, matchers };
}

export function isProfileType(text: string): boolean {
  return parseProfileTypeId(text) !== null;
}

/** Splits a profile type id; period parts may be empty. */
export function profileTypeParts(id: string): {
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
} {
  const parsed = parseProfileTypeId(id);
  if (parsed) return parsed;
  const [name = '', sampleType = '', sampleUnit = '', periodType = '', periodUnit = ''] = id.split(':');
  return { name, sampleType, sampleUnit, periodType, periodUnit };
}

function invalid(text: string, why: string): KilnError {
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new KilnError('ERR_QUERY_INVALID_SELECTOR' satisfies QueryErrorCode, `invalid query \`${shown}\`: ${why}`);
}
