import { isKilnError } from '@kiln/model';
import type { IngestClient, IngestUpload } from './ingest-client.js';

export interface WindowUploaderOptions {
  /** Windows kept while the server is unreachable; the oldest is dropped beyond it. */
  maxQueuedWindows?: number;
  /** First retry delay, doubling per failure up to `retryMaxDelayMs`. */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  warn(message: string): void;
}

export const UPLOADER_DEFAULTS = {
  maxQueuedWindows: 30,
  retryInitialDelayMs: 1_000,
  retryMaxDelayMs: 30_000,
} as const;

/**
 * Sends the windows a spy takes, one at a time and in order. A server that is down or busy
 * (network error, 408, 429, 5xx) is retried with doubling delays while later windows wait in a
 * bounded queue; a window the server refuses for good (4xx) is dropped with a warning.
 */
export class WindowUploader {
  private readonly queue: IngestUpload[] = [];
  private readonly options: Required<Omit<WindowUploaderOptions, 'warn'>> & Pick<WindowUploaderOptions, 'warn'>;
  private pumping: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Set when flush() gave up: the pump stops at its next failure. */
  private abandoned = false;
  /** flush()'s deadline: retry delays are cut to it. */
  private deadlineMs = Infinity;
  /** The window being sent (queue[0] while a request is out); never dropped by the bound. */
  private inFlight: IngestUpload | null = null;
  sent = 0;
  dropped = 0;

  constructor(
    private readonly client: IngestClient,
    options: WindowUploaderOptions,
  ) {
    this.options = { ...UPLOADER_DEFAULTS, ...options };
  }

  push(upload: IngestUpload): void {
    this.queue.push(upload);
    if (this.queue.length > this.options.maxQueuedWindows) {
      this.queue.splice(this.queue[0] === this.inFlight ? 1 : 0, 1);
      this.dropped++;
      this.options.warn(`upload queue full (${this.options.maxQueuedWindows} windows): dropped the oldest`);
    }
    this.pumping ??= this.pump().finally(() => {
      this.pumping = null;
    });
  }

  /**
   * Waits until every queued window is sent or dropped, at most `timeoutMs`: a retry waiting out
   * its delay tries again at once, and delays are cut to the deadline. What is left then is
   * dropped, with a warning.
   */
  async flush(timeoutMs: number): Promise<void> {
    this.deadlineMs = Date.now() + timeoutMs;
    this.wake?.();
    if (this.pumping === null) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.pumping, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.abandoned = true;
    this.wake?.();
    if (this.queue.length > 0) {
      this.options.warn(`${this.queue.length} window(s) not sent: the server did not take them in ${timeoutMs} ms`);
      this.dropped += this.queue.length;
      this.queue.length = 0;
    }
  }

  private async pump(): Promise<void> {
    let delayMs = this.options.retryInitialDelayMs;
    while (this.queue.length > 0) {
      const upload = this.queue[0]!;
      this.inFlight = upload;
      try {
        await this.client.send(upload);
        if (this.queue[0] === upload) this.queue.shift();
        this.sent++;
        delayMs = this.options.retryInitialDelayMs;
      } catch (err) {
        const retryable = isKilnError(err) && err.details.retryable === 1;
        const text = err instanceof Error ? err.message : String(err);
        if (!retryable) {
          if (this.queue[0] === upload) this.queue.shift();
          this.dropped++;
          this.options.warn(`a window was refused and dropped: ${text}`);
          continue;
        }
        if (this.abandoned) return;
        const waitMs = Math.max(0, Math.min(delayMs, this.deadlineMs - Date.now()));
        this.options.warn(`upload failed, retrying in ${waitMs} ms: ${text}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        delayMs = Math.min(delayMs * 2, this.options.retryMaxDelayMs);
      } finally {
        this.inFlight = null;
      }
    }
  }
}
