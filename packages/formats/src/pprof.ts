import type { Profile } from '@kiln/model';
import { gunzipTransient, isGzip } from './gzip.js';
import { resolveLimits, type DecodeOptions, type ParseOptions } from './limits.js';
import { decodePprof, sniffPprof } from './pprof-decode.js';

/** Sniffs uncompressed pprof by its first fields; see `sniffPprof`. */
export function isPprof(bytes: Uint8Array): boolean {
  return sniffPprof(bytes);
}

/**
 * Parses a pprof profile (profile.proto), gzipped or not. Returns null when the bytes are not
 * pprof; throws ERR_FORMAT_* when they are but are broken or over a limit.
 *
 * @example
 *   const profile = parsePprof(readFileSync('cpu.pb.gz'));
 *   if (profile) console.log(profile.sampleTypes); // [{ type: 'samples', unit: 'count' }, ...]
 */
export function parsePprof(bytes: Uint8Array, options: ParseOptions & DecodeOptions = {}): Profile | null {
  const limits = resolveLimits(options.limits);
  // The inflated bytes are read once, here: decodePprof copies what it keeps.
  const raw = isGzip(bytes) ? gunzipTransient(bytes, limits.maxDecompressedBytes) : bytes;
  if (!isPprof(raw)) return null;
  return decodePprof(raw, limits, options);
}

export { decodePprof };
