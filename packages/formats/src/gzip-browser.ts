// The browser build of gzip.ts (the UI's bundler swaps it in; see packages/ui/vite.shared.ts):
// the same functions and errors, on fflate instead of node:zlib.
import { gunzipSync, gzipSync } from 'fflate';
import { FormatErrorCode, formatError } from './errors.js';

/** gzip's magic bytes, 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data, refusing to produce more than `maxBytes`. fflate has no output limit, so
 * the size the gzip trailer declares (ISIZE, the input size mod 2^32) is checked first, and the
 * output is allocated at that size: a bomb that lies in its trailer is cut at that size, and the
 * parsers then report the truncated input by name.
 */
export function gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length < 18) throw formatError(FormatErrorCode.badGzip, 'corrupt gzip data: shorter than a gzip header');
  const n = bytes.length;
  const declared = (bytes[n - 4]! | (bytes[n - 3]! << 8) | (bytes[n - 2]! << 16) | (bytes[n - 1]! << 24)) >>> 0;
  if (declared > maxBytes) {
    throw formatError(FormatErrorCode.tooLarge, `maxDecompressedBytes is ${maxBytes}, the gzip data inflates to more`, {
      limit: 'maxDecompressedBytes',
      max: maxBytes,
    });
  }
  try {
    return gunzipSync(bytes, { out: new Uint8Array(declared) });
  } catch (err) {
    throw formatError(FormatErrorCode.badGzip, `corrupt gzip data: ${(err as Error).message}`);
  }
}

/** gzip at level 1, as Go's runtime writes pprof. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 1 });
}

/** As gzip.ts's: here simply gunzip (fflate has no buffer to keep between calls). */
export function gunzipTransient(bytes: Uint8Array, maxBytes: number): Uint8Array {
  return gunzip(bytes, maxBytes);
}

/** As gzip.ts's: false, gunzipTransient allocates its output. */
export function keepsInflateBuffer(): boolean {
  return false;
}
