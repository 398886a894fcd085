import { fetch, type Dispatcher, type Response } from 'undici';
import type { KilnError } from '@kiln/model';
import { scrapeError } from './errors.js';

export interface FetchProfileOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  /** Aborts the request when the server shuts down. */
  signal?: AbortSignal;
  /** The `authorization` header of the job's basic_auth or authorization. */
  authorization?: string;
  /** The job's connection pool (its tls_config); undefined: undici's default. */
  dispatcher?: Dispatcher;
}

/**
 * GETs one profile from a target, reading at most `maxBodyBytes` (the read stops there, so a
 * target that streams forever cannot fill memory). Every failure is a named error: timeout,
 * connect, HTTP status, too large.
 */
export async function fetchProfile(url: string, options: FetchProfileOptions): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const timedOut = (): KilnError =>
    scrapeError('ERR_SCRAPE_TIMEOUT', `${url} did not answer within ${options.timeoutMs} ms (scrape_timeout)`);
  let res: Response;
  try {
    res = await fetch(url, {
      signal,
      headers: {
        accept: 'application/octet-stream, application/x-protobuf',
        'user-agent': 'kiln-scraper',
        ...(options.authorization !== undefined && { authorization: options.authorization }),
      },
      redirect: 'follow',
      ...(options.dispatcher && { dispatcher: options.dispatcher }),
    });
  } catch (err) {
    if (timeout.aborted) throw timedOut();
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // A system error's code says it all (`ECONNREFUSED`); a TLS one's message says more
    // (`DEPTH_ZERO_SELF_SIGNED_CERT (self-signed certificate)`).
    const why =
      cause?.code !== undefined && cause.message !== undefined && !cause.message.includes(cause.code)
        ? `${cause.code} (${cause.message})`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw scrapeError('ERR_SCRAPE_CONNECT', `cannot reach ${url}: ${why}`);
  }
  try {
    if (res.status < 200 || res.status > 299) {
      const text = (await readAtMost(res, 512).catch(() => new Uint8Array())).slice(0, 200);
      throw scrapeError(
        'ERR_SCRAPE_HTTP_STATUS',
        `${url} answered HTTP ${res.status}: ${new TextDecoder().decode(text).trim().replace(/\s+/g, ' ')}`,
      );
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > options.maxBodyBytes) throw tooLarge(url, options.maxBodyBytes, declared);
    const body = await readAtMost(res, options.maxBodyBytes + 1);
    if (body.length > options.maxBodyBytes) throw tooLarge(url, options.maxBodyBytes, body.length);
    return body;
  } catch (err) {
    if (timeout.aborted && (err as Error).name !== 'KilnError') throw timedOut();
    throw err;
  } finally {
    if (!res.bodyUsed) await res.body?.cancel().catch(() => undefined);
  }
}

function tooLarge(url: string, max: number, seen: number): KilnError {
  return scrapeError(
    'ERR_SCRAPE_TOO_LARGE',
    `${url} sent more than scrape_max_body_bytes (${max}): ${seen} bytes${seen === max + 1 ? ' or more' : ''}`,
  );
}

/** Reads the body until it ends or `limit` bytes have arrived, then cancels the rest. */
async function readAtMost(res: Response, limit: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } finally {
    if (total >= limit) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  const out = new Uint8Array(Math.min(total, limit));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, out.length - at);
    out.set(part, at);
    at += part.length;
    if (at === out.length) break;
  }
  return out;
}
