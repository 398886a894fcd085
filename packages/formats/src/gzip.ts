import { gunzipSync, gzipSync } from 'node:zlib';
import { FormatErrorCode, formatError } from './errors.js';

/** gzip's magic bytes, 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data, refusing to produce more than `maxBytes`: zlib stops at the limit, so a
 * gzip bomb costs at most `maxBytes` of memory, never its full size.
 */
export function gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw formatError(
        FormatErrorCode.tooLarge,
        `maxDecompressedBytes is ${maxBytes}, the gzip data inflates to more`,
        { limit: 'maxDecompressedBytes', max: maxBytes },
      );
    }
    throw formatError(FormatErrorCode.badGzip, `corrupt gzip data: ${(err as Error).message}`);
  }
}

/** gzip at level 1, as Go's runtime writes pprof: fast, and the profile is small anyway. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 1 });
}
