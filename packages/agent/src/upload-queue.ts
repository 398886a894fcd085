import { AgentError, AgentErrorCode, isRetryable } from './agent-error.js';
import type { CollectedProfile, ProfileExporter } from './exporter.js';
import type { AgentLogger } from './logger.js';

export interface UploadQueueOptions {
  /** Profiles waiting to be sent, besides the one in flight; the oldest is dropped beyond it. */
  maxBufferedProfiles: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** An export that settles in neither this nor the exporter's own timeout counts as failed. */
  exportTimeoutMs: number;
  log: AgentLogger;
  /** For tests; Math.random by default. */
  random?: () => number;
}

export interface UploadStats {
  /** Profiles the exporter accepted. */
  uploaded: number;
  /** Profiles dropped unsent: buffer full while the server was unreachable, or left at stop. */
  dropped: number;
  /** Profiles the exporter refused for good (`retryable: false`, e.g. HTTP 400). */
  rejected: number;
  /** Export attempts that failed and were retried. */
  failedAttempts: number;
  /** Profiles waiting now. */
  buffered: number;
}

/**
 * Sends profiles one at a time, in order, through an exporter. When an export fails with a
 * retryable error the profile goes back to the front and the queue waits an exponential,
 * jittered delay (`retryInitialDelayMs` doubling up to `retryMaxDelayMs`, or the server's
 * `Retry-After` within that cap) before trying again; profiles collected meanwhile wait
 * behind it, at most `maxBufferedProfiles` of them, the oldest dropped first. So memory stays
 * bounded however long the server is down, and the newest data is what survives. Once an
 * export succeeds the rest are sent back to back.
 *
 * Nothing here throws or rejects: failures are counted and logged. Timers are unref()'d.
 */
export class UploadQueue {
  private readonly exporter: ProfileExporter;
  private readonly options: UploadQueueOptions;
  private readonly random: () => number;
  private waiting: CollectedProfile[] = [];
  private pumping: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAtMs = 0;
  private consecutiveFailures = 0;
  private droppedThisOutage = 0;
  private closed = false;
  private readonly counts = { uploaded: 0, dropped: 0, rejected: 0, failedAttempts: 0 };

  constructor(exporter: ProfileExporter, options: UploadQueueOptions) {
    this.exporter = exporter;
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  stats(): UploadStats {
    return { ...this.counts, buffered: this.waiting.length };
  }

  push(profile: CollectedProfile): void {
    if (this.closed) {
      this.drop(1, 'the agent is stopped');
      return;
    }
    if (this.waiting.length >= this.options.maxBufferedProfiles) {
      this.waiting.shift();
      this.drop(1, `the buffer holds maxBufferedProfiles=${this.options.maxBufferedProfiles}`);
    }
    this.waiting.push(profile);
    this.kick();
  }

  /**
   * Tries to send everything buffered now, ignoring any backoff, and resolves when the buffer
   * is empty or an attempt failed (the server is still down: trying the rest would fail too).
   * An attempt already in flight counts. Resolves; never rejects.
   */
  async drain(): Promise<void> {
    const failuresBefore = this.counts.failedAttempts;
    this.clearRetryTimer();
    while (this.pumping) await this.pumping;
    // An attempt that failed while we waited already answered the question.
    if (this.waiting.length === 0 || this.closed || this.counts.failedAttempts > failuresBefore) return;
    this.pumping = this.pump(true).finally(() => {
      this.pumping = undefined;
    });
    await this.pumping;
    this.kick();
  }

  /** Stops retrying; what is still buffered counts as dropped. An export in flight may still land. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRetryTimer();
    const left = this.waiting.length;
    this.waiting = [];
    if (left > 0) this.drop(left, 'the agent stopped before the server took them');
  }

  private kick(): void {
    if (this.pumping || this.closed || this.waiting.length === 0) return;
    const waitMs = this.retryAtMs - Date.now();
    if (waitMs > 0) {
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, waitMs);
        this.retryTimer.unref();
      }
      return;
    }
    this.pumping = this.pump(false).finally(() => {
      this.pumping = undefined;
      this.kick();
    });
  }

  /** Sends from the front until empty or a retryable failure (after which it returns). */
  private async pump(flushing: boolean): Promise<void> {
    while (this.waiting.length > 0 && !this.closed) {
      if (!flushing && Date.now() < this.retryAtMs) return;
      const profile = this.waiting.shift()!;
      try {
        await this.exportWithDeadline(profile);
        this.counts.uploaded++;
        if (this.consecutiveFailures > 0) {
          this.options.log(
            'info',
            `uploads resumed after ${this.consecutiveFailures} failed attempts; ${this.droppedThisOutage} profiles dropped meanwhile`,
          );
        }
        this.consecutiveFailures = 0;
        this.droppedThisOutage = 0;
        this.retryAtMs = 0;
      } catch (err) {
        if (!isRetryable(err)) {
          this.counts.rejected++;
          this.options.log('warn', `a ${profile.kind} profile was rejected and dropped`, err);
          continue;
        }
        this.counts.failedAttempts++;
        this.consecutiveFailures++;
        const delayMs = computeRetryDelayMs(
          this.consecutiveFailures,
          this.options.retryInitialDelayMs,
          this.options.retryMaxDelayMs,
          this.random,
          err instanceof AgentError ? err.retryAfterMs : undefined,
        );
        this.retryAtMs = Date.now() + delayMs;
        // The first failure of an outage is news; the rest would flood the host's logs.
        this.options.log(
          this.consecutiveFailures === 1 ? 'warn' : 'debug',
          `upload failed (attempt ${this.consecutiveFailures}); retrying in ${delayMs} ms`,
          err,
        );
        if (this.closed) this.drop(1, 'the agent stopped while it was in flight');
        else if (this.waiting.length >= this.options.maxBufferedProfiles) {
          this.drop(1, `the buffer holds maxBufferedProfiles=${this.options.maxBufferedProfiles}`);
        } else this.waiting.unshift(profile);
        return;
      }
    }
  }

  private exportWithDeadline(profile: CollectedProfile): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new AgentError(
            AgentErrorCode.uploadTimeout,
            `export did not settle within ${this.options.exportTimeoutMs} ms`,
            { retryable: true, details: { exportTimeoutMs: this.options.exportTimeoutMs } },
          ),
        );
      }, this.options.exportTimeoutMs);
      timer.unref();
      // An exporter may throw synchronously or return a non-promise; treat both like a promise.
      new Promise<void>((r) => r(this.exporter.export(profile))).then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private drop(count: number, why: string): void {
    this.counts.dropped += count;
    this.droppedThisOutage += count;
    // Log the first drop of an outage loudly, the rest quietly, as for failures.
    this.options.log(
      this.droppedThisOutage === count ? 'warn' : 'debug',
      `${count} profile(s) dropped unsent: ${why}`,
      new AgentError(AgentErrorCode.profileDropped, `${count} profile(s) dropped: ${why}`, {
        details: { dropped: this.counts.dropped },
      }),
    );
  }

  private clearRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/**
 * Delay before retry number `failures` (1-based): `initialMs * 2^(failures-1)` capped at
 * `maxMs`, then "equal jitter" (uniform in [half, full]) so that many agents restarted by the
 * same outage do not retry in lockstep. A server's `Retry-After` raises it, still within `maxMs`.
 */
export function computeRetryDelayMs(
  failures: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  const jittered = Math.round(base / 2 + random() * (base / 2));
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, maxMs));
}
