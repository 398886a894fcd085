import type { Profile } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { isFlamebearerJson, parseFlamebearerJson } from './flamebearer-json.js';
import { isFolded, parseFolded } from './folded.js';
import { gunzip, isGzip } from './gzip.js';
import { resolveLimits, type ParseOptions } from './limits.js';
import { isPerfScript, parsePerfScript } from './perf-script.js';
import { isPprof, parsePprof } from './pprof.js';
import { isSpeedscope, parseSpeedscope } from './speedscope.js';
import { looksLikeText } from './text.js';

export const INPUT_FORMATS = ['pprof', 'speedscope', 'flamebearer', 'perf-script', 'folded'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

interface Candidate {
  format: InputFormat;
  is: (bytes: Uint8Array) => boolean;
  parse: (bytes: Uint8Array, options: ParseOptions) => Profile | null;
  /** File name endings that move this format to the front of its group. */
  hints: readonly string[];
}

// Strict sniffs first (binary magic, JSON shapes), permissive text formats last.
const CANDIDATES: readonly Candidate[] = [
  { format: 'pprof', is: isPprof, parse: parsePprof, hints: ['.pb', '.pprof', '.prof', '.pb.gz', '.pprof.gz'] },
  { format: 'speedscope', is: isSpeedscope, parse: parseSpeedscope, hints: ['.speedscope.json'] },
  { format: 'flamebearer', is: isFlamebearerJson, parse: parseFlamebearerJson, hints: ['.json'] },
  { format: 'perf-script', is: isPerfScript, parse: parsePerfScript, hints: ['.perf', '.perf-script', '.perf.txt'] },
  { format: 'folded', is: isFolded, parse: parseFolded, hints: ['.folded', '.collapsed', '.txt'] },
];

/**
 * Names the format of a profile from its bytes (gzip is looked through) and, as a hint, its
 * file name. Returns null when no format claims it.
 *
 * @example
 *   detectFormat(readFileSync('cpu.pb.gz')); // 'pprof'
 */
export function detectFormat(bytes: Uint8Array, filename?: string, options: ParseOptions = {}): InputFormat | null {
  const raw = inflate(bytes, options);
  return ordered(filename).find((c) => c.is(raw))?.format ?? null;
}

export interface ParsedProfile {
  format: InputFormat;
  profile: Profile;
}

/**
 * Parses a profile in any format Kiln reads. Throws ERR_FORMAT_UNKNOWN when no parser claims
 * the input, or the claiming parser's named error when the input is broken.
 *
 * @example
 *   const { format, profile } = parseProfile(readFileSync(path), { filename: path });
 */
export function parseProfile(bytes: Uint8Array, options: ParseOptions = {}): ParsedProfile {
  const raw = inflate(bytes, options);
  for (const c of ordered(options.filename)) {
    if (!c.is(raw)) continue;
    const profile = c.parse(raw, options);
    if (profile) return { format: c.format, profile };
  }
  const what = looksLikeText(raw) ? 'text' : 'binary data';
  throw formatError(
    FormatErrorCode.unknown,
    `unrecognised profile format (${what}, ${raw.length} bytes${options.filename ? `, ${options.filename}` : ''}); Kiln reads ${INPUT_FORMATS.join(', ')}`,
  );
}

function inflate(bytes: Uint8Array, options: ParseOptions): Uint8Array {
  return isGzip(bytes) ? gunzip(bytes, resolveLimits(options.limits).maxDecompressedBytes) : bytes;
}

function ordered(filename: string | undefined): readonly Candidate[] {
  if (!filename) return CANDIDATES;
  const name = filename.toLowerCase();
  const hinted = (c: Candidate): boolean => c.hints.some((h) => name.endsWith(h));
  // A hint reorders within the strict group and within the text group, never across them:
  // a file named .txt that is pprof is still read as pprof.
  const strict = CANDIDATES.slice(0, 3);
  const text = CANDIDATES.slice(3);
  const sort = (group: readonly Candidate[]): Candidate[] => [
    ...group.filter(hinted),
    ...group.filter((c) => !hinted(c)),
  ];
  return [...sort(strict), ...sort(text)];
}
