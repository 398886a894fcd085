import { constants, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { FormatErrorCode, formatError } from './errors.js';

/** gzip's magic bytes, 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Output buffers of at most this size; larger outputs take several. */
const MAX_CHUNK_BYTES = 8 << 20;

/**
 * Inflates gzip data, refusing to produce more than `maxBytes`: zlib stops at the limit, so a
 * gzip bomb costs at most `maxBytes` of memory, never its full size.
 *
 * The output buffer is sized by the size gzip records at the end (ISIZE, a hint: a lie or a
 * multi-member file only costs more buffers), so zlib writes it in one go instead of 16 KiB
 * chunks that are then concatenated: 10 % less time for a 200 KB profile.
 */
export function gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const recorded = recordedSize(bytes);
  // One byte more than the output: zlib starts another buffer when one is exactly full.
  const chunkSize = Math.min(MAX_CHUNK_BYTES, Math.max(16_384, Math.min(recorded, maxBytes) + 1));
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes), chunkSize });
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

/** The size the gzip trailer records (ISIZE: the output size mod 2^32, a hint); 0 when too short. */
function recordedSize(bytes: Uint8Array): number {
  const n = bytes.length;
  return n >= 18 ? (bytes[n - 4]! | (bytes[n - 3]! << 8) | (bytes[n - 2]! << 16) | (bytes[n - 1]! << 24)) >>> 0 : 0;
}

/** Outputs up to this size are inflated into the kept buffer; larger ones into their own. */
export const KEPT_INFLATE_MAX_BYTES = 4 << 20;

/** The parts of Node's zlib stream that inflate one input into a given buffer. */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string) => void;
}

/**
 * One gunzip stream and one output buffer kept from call to call, for gunzipTransient. Node has
 * no public way to inflate into a given buffer; zlibBufferSync does it through the stream's
 * `_handle.writeSync` and `_writeState` (Node 12 to 22), which this uses when they are there and
 * answers as documented. Anything else (an older or newer Node, an error, an output that does
 * not fit) falls back to gunzip, which also names the error.
 */
class KeptInflate {
  private readonly stream: { reset(): void };
  private readonly handle: ZlibHandle;
  private readonly state: Uint32Array;
  private out = new Uint8Array(1 << 16);
  private failed = false;

  private constructor(stream: { reset(): void }, handle: ZlibHandle, state: Uint32Array) {
    this.stream = stream;
    this.handle = handle;
    this.state = state;
    handle.onerror = () => {
      this.failed = true;
    };
  }

  /** Null where this Node's zlib stream lacks the parts, or they do not inflate a known input. */
  static create(): KeptInflate | null {
    try {
      const stream = createGunzip();
      // reset() is documented for every inflate stream; @types/node declares it on some only.
      const internals = stream as unknown as {
        reset?: () => void;
        _handle?: Partial<ZlibHandle>;
        _writeState?: unknown;
      };
      const handle = internals._handle;
      const state = internals._writeState;
      if (typeof internals.reset !== 'function' || typeof handle?.writeSync !== 'function') return null;
      if (!(state instanceof Uint32Array) || state.length !== 2) return null;
      const kept = new KeptInflate(internals as { reset(): void }, handle as ZlibHandle, state);
      const probe = new TextEncoder().encode('kiln');
      const out = kept.inflate(gzipSync(probe), 16);
      return out !== null && out.length === probe.length && out.every((b, i) => b === probe[i]) ? kept : null;
    } catch {
      return null;
    }
  }

  /** The inflated bytes, a view of the kept buffer; null when gunzip must do it. */
  inflate(bytes: Uint8Array, maxBytes: number): Uint8Array | null {
    const size = recordedSize(bytes);
    // One byte more than the output, so a full buffer means the output did not fit.
    const need = size + 1;
    if (size === 0 || size > maxBytes || need > KEPT_INFLATE_MAX_BYTES) return null;
    if (need > this.out.length)
      this.out = new Uint8Array(Math.min(KEPT_INFLATE_MAX_BYTES, Math.max(need, 2 * this.out.length)));
    this.failed = false;
    this.stream.reset();
    this.handle.writeSync(constants.Z_FINISH, bytes, 0, bytes.length, this.out, 0, this.out.length);
    const availOut = this.state[0]!;
    const availIn = this.state[1]!;
    if (this.failed || availOut === 0 || availIn !== 0) return null;
    const length = this.out.length - availOut;
    return length > maxBytes ? null : this.out.subarray(0, length);
  }
}

let kept: KeptInflate | null | undefined;

/**
 * gunzip for a caller that reads the output at once and keeps nothing of it (parsePprof: the
 * decoder copies what it keeps): the output is a view of a buffer reused by the next call, so
 * an upload's 200 KB are written into memory already in the CPU's caches instead of a fresh
 * allocation each time (the sustained ingest bench: about 5 % less CPU per upload). Same
 * limits and errors as gunzip.
 */
export function gunzipTransient(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (kept === undefined) kept = KeptInflate.create();
  return kept?.inflate(bytes, maxBytes) ?? gunzip(bytes, maxBytes);
}

/** Whether gunzipTransient inflates into its kept buffer on this Node (false: it calls gunzip). */
export function keepsInflateBuffer(): boolean {
  if (kept === undefined) kept = KeptInflate.create();
  return kept !== null;
}

/** gzip at level 1, as Go's runtime writes pprof: fast, and the profile is small anyway. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 1 });
}
