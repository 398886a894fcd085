import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { KilnError } from '@kiln/model';
import { scrapeError } from './errors.js';
import type { ScrapeConfig } from './scrape-config.js';

/** How one job talks to its targets: the headers of its authentication and its TLS settings. */
export interface ScrapeClient {
  /** The `authorization` header, if the job has one; secrets files are read now. Throws ERR_SCRAPE_CREDENTIALS. */
  authorizationHeader(): string | undefined;
  /** undici's connection pool with the job's TLS settings; undefined: the default one. */
  readonly dispatcher: Dispatcher | undefined;
  /** The TLS files were unusable (ERR_SCRAPE_TLS): every scrape of the job fails with this. */
  readonly tlsError: KilnError | undefined;
  close(): Promise<void>;
}

/**
 * The client of `job`: Prometheus's `basic_auth`, `authorization` / `bearer_token(_file)` and
 * `tls_config`. Secret files are read at every scrape, as Prometheus does, so a rotated token
 * applies without a restart; certificates are read once, here.
 */
export function createScrapeClient(job: ScrapeConfig): ScrapeClient {
  let dispatcher: Agent | undefined;
  let tlsError: KilnError | undefined;
  if (job.tls) {
    const tls = job.tls;
    try {
      const read = (path: string): Buffer | undefined => (path === '' ? undefined : readFileSync(path));
      const files = { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile) };
      // Parses the PEM files now: a bad one is a named error of the job, not a failure per
      // connection. (A CA file that holds no certificate would be ignored by TLS: refuse it.)
      if (files.ca) new X509Certificate(files.ca);
      createSecureContext(files);
      dispatcher = new Agent({
        connect: {
          ...files,
          ...(tls.serverName !== '' && { servername: tls.serverName }),
          rejectUnauthorized: !tls.insecureSkipVerify,
        },
      });
    } catch (err) {
      tlsError = scrapeError('ERR_SCRAPE_TLS', `job ${job.jobName}: tls_config: ${(err as Error).message}`);
    }
  }
  const { basicAuth, authorization } = job.auth;
  return {
    dispatcher,
    tlsError,
    authorizationHeader() {
      if (basicAuth) {
        const password =
          basicAuth.passwordFile === '' ? basicAuth.password : secretFrom(basicAuth.passwordFile, job.jobName);
        return `Basic ${Buffer.from(`${basicAuth.username}:${password}`).toString('base64')}`;
      }
      if (authorization) {
        const credentials =
          authorization.credentialsFile === ''
            ? authorization.credentials
            : secretFrom(authorization.credentialsFile, job.jobName);
        return `${authorization.type} ${credentials}`;
      }
      return undefined;
    },
    async close() {
      await dispatcher?.close();
    },
  };
}

/** A secret file's content without surrounding whitespace (a trailing newline), as Prometheus reads it. */
function secretFrom(path: string, job: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw scrapeError(
      'ERR_SCRAPE_CREDENTIALS',
      `job ${job}: cannot read \`${path}\`: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
