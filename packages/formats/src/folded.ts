import { buildCallTree, ProfileBuilder, type Profile, type ValueType } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { checkLimit, resolveLimits, type ParseOptions } from './limits.js';
import { bytesToText, firstLines, looksLikeText } from './text.js';

export interface ParseFoldedOptions extends ParseOptions {
  /** The sample type of the values; default `samples/count`. */
  sampleType?: ValueType;
}

const DEFAULT_TYPE: ValueType = { type: 'samples', unit: 'count' };
/** A folded line: a stack, one space, an integer value (checked without a backtracking regex). */
function isFoldedLine(line: string): boolean {
  const space = line.lastIndexOf(' ');
  return space > 0 && line.slice(0, space).trim() !== '' && /^-?\d{1,20}$/.test(line.slice(space + 1));
}

/** True when the first lines all read `frame;frame;... <integer>`. */
export function isFolded(bytes: Uint8Array): boolean {
  if (!looksLikeText(bytes)) return false;
  const lines = firstLines(bytes, 8);
  return lines.length > 0 && lines.every((l) => !l.startsWith('#') && isFoldedLine(l.trimEnd()));
}

/**
 * Parses folded (collapsed) stacks, Brendan Gregg's and Pyroscope's `format=folded`: one stack
 * per line, root first, frames separated by `;`, then a space and the value. Repeated stacks
 * add up.
 *
 * @example
 *   parseFolded(new TextEncoder().encode('main;work 42\nmain;idle 7\n'));
 */
export function parseFolded(bytes: Uint8Array, options: ParseFoldedOptions = {}): Profile | null {
  if (!isFolded(bytes)) return null;
  return parseStackLines(bytes, options, true);
}

/**
 * Parses Pyroscope's `format=lines`: one stack per line, root first, each line one sample.
 */
export function parseLines(bytes: Uint8Array, options: ParseFoldedOptions = {}): Profile {
  return parseStackLines(bytes, options, false);
}

function parseStackLines(bytes: Uint8Array, options: ParseFoldedOptions, withValues: boolean): Profile {
  const limits = resolveLimits(options.limits);
  const builder = new ProfileBuilder({ sampleTypes: [options.sampleType ?? DEFAULT_TYPE] });
  const text = bytesToText(bytes);
  // Frame name -> location; most frames repeat on many lines.
  const frames = new Map<string, number>();
  const locations: number[] = [];
  const value = [0];
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue;
    let stackEnd = line.length;
    value[0] = 1;
    if (withValues) {
      const space = line.lastIndexOf(' ');
      const v = space > 0 ? parseInteger(line, space + 1) : NaN;
      if (Number.isNaN(v)) {
        throw formatError(FormatErrorCode.invalid, `folded line ${lineNo} does not end in an integer value`, {
          line: lineNo,
        });
      }
      value[0] = v;
      stackEnd = space;
    }
    if (stackEnd > limits.maxStringBytes) checkLimit(limits, 'maxStringBytes', stackEnd, `line ${lineNo}`);
    locations.length = 0;
    let from = 0;
    while (from <= stackEnd) {
      let to = line.indexOf(';', from);
      if (to === -1 || to > stackEnd) to = stackEnd;
      if (to > from) {
        const name = line.slice(from, to);
        let loc = frames.get(name);
        if (loc === undefined) {
          loc = builder.addFrame(name);
          frames.set(name, loc);
          if (frames.size > limits.maxFunctions) checkLimit(limits, 'maxFunctions', frames.size, `line ${lineNo}`);
        }
        locations.push(loc);
      }
      from = to + 1;
    }
    if (locations.length > limits.maxStackDepth)
      checkLimit(limits, 'maxStackDepth', locations.length, `line ${lineNo}`);
    locations.reverse();
    builder.addSample(locations, value);
    if (builder.sampleCount > limits.maxSamples)
      checkLimit(limits, 'maxSamples', builder.sampleCount, `line ${lineNo}`);
  }
  return builder.build();
}

/** The decimal integer from `from` to the end of `s`, or NaN; at most 16 digits (exact in float64). */
function parseInteger(s: string, from: number): number {
  let i = from;
  let negative = false;
  if (s.charCodeAt(i) === 45 /* - */) {
    negative = true;
    i++;
  }
  if (i === s.length || s.length - i > 16) return NaN;
  let v = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

export interface SerializeFoldedOptions {
  /** Index into the profile's sample types; default the profile's default sample type. */
  sampleType?: number;
}

/**
 * Writes folded stacks for one sample type: a line per distinct stack, root first, inlined
 * functions as frames of their own, so summing lines by their last frame gives pprof's flat
 * value per function. `;` and line breaks inside names are replaced so lines stay parseable.
 */
export function serializeFolded(profile: Profile, options: SerializeFoldedOptions = {}): string {
  const tree = buildCallTree(profile, { sampleType: options.sampleType ?? profile.defaultSampleType });
  const names = tree.names.map((n) => n.replace(/[;\r\n]/g, '_'));
  const out: string[] = [];
  const path: string[] = [];
  const walk = (node: number, depth: number): void => {
    if (node !== 0) {
      path[depth - 1] = names[tree.nameId[node]!]!;
      if (tree.self[node] !== 0) out.push(`${path.slice(0, depth).join(';')} ${tree.self[node]}`);
    }
    for (const c of tree.children(node)) walk(c, depth + 1);
  };
  walk(0, 0);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}
