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
  const totals = new Map<string, number>();
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    let stack = line;
    let value = 1;
    if (withValues) {
      const space = line.lastIndexOf(' ');
      const digits = line.slice(space + 1);
      value = Number(digits);
      if (space <= 0 || !/^-?\d+$/.test(digits) || !Number.isSafeInteger(value)) {
        throw formatError(FormatErrorCode.invalid, `folded line ${lineNo} does not end in an integer value`, {
          line: lineNo,
        });
      }
      stack = line.slice(0, space);
    }
    checkLimit(limits, 'maxStringBytes', stack.length, `line ${lineNo}`);
    totals.set(stack, (totals.get(stack) ?? 0) + value);
    checkLimit(limits, 'maxSamples', totals.size, `line ${lineNo}`);
  }
  for (const [stack, value] of totals) {
    const frames = stack.split(';').filter((f) => f !== '');
    checkLimit(limits, 'maxStackDepth', frames.length, `stack "${stack.slice(0, 80)}"`);
    builder.addStack(frames, [value]);
    checkLimit(limits, 'maxFunctions', builder.functionCount, 'the file');
  }
  return builder.build();
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
