import type { Profile } from '@kiln/model';
import { gunzip, isGzip } from './gzip.js';
import { resolveLimits, type ParseOptions } from './limits.js';
import { decodePprof } from './pprof-decode.js';
import { ProtobufReader } from './protobuf-reader.js';

/** Wire type each top-level field must have (packed repeated comments may be 0 or 2). */
export const WIRE_TYPES: readonly (readonly number[])[] = [
  [],
  [2],
  [2],
  [2],
  [2],
  [2],
  [2],
  [0],
  [0],
  [0],
  [0],
  [2],
  [0],
  [0, 2],
  [0],
];

/**
 * Sniffs uncompressed pprof: the first fields (up to 16) must be profile.proto fields with
 * their wire types and lengths that fit. Cheap, and false for text and JSON.
 */
export function isPprof(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const r = new ProtobufReader(bytes);
  try {
    for (let i = 0; i < 16 && r.pos < r.end; i++) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      if (field < 1 || field > 14 || !WIRE_TYPES[field]!.includes(tag & 7)) return false;
      r.skip(tag & 7);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a pprof profile (profile.proto), gzipped or not. Returns null when the bytes are not
 * pprof; throws ERR_FORMAT_* when they are but are broken or over a limit.
 *
 * @example
 *   const profile = parsePprof(readFileSync('cpu.pb.gz'));
 *   if (profile) console.log(profile.sampleTypes); // [{ type: 'samples', unit: 'count' }, ...]
 */
export function parsePprof(bytes: Uint8Array, options: ParseOptions = {}): Profile | null {
  const limits = resolveLimits(options.limits);
  const raw = isGzip(bytes) ? gunzip(bytes, limits.maxDecompressedBytes) : bytes;
  if (!isPprof(raw)) return null;
  return decodePprof(raw, limits);
}

export { decodePprof };
