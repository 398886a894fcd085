import type { Profile } from '@kiln/model';

/**
 * The sampling profilers `kiln exec`, `kiln connect` and `kiln adhoc` drive. `node` is Kiln's
 * in-process agent (exec) or V8's inspector (connect); the others are external programs.
 */
export const SPY_NAMES = ['node', 'perf', 'austin', 'py-spy', 'rbspy'] as const;
export type SpyName = (typeof SPY_NAMES)[number];

/** One window of samples a spy took: a CPU profile of the target between two times. */
export interface CollectedWindow {
  readonly profile: Profile;
  readonly startMs: number;
  readonly endMs: number;
  /** Sent as Pyroscope's `spyName` (`perf`, `austin`, `nodespy`...). */
  readonly spyName: string;
}

export interface AttachOptions {
  /** Length of each window handed to `onWindow`. */
  readonly intervalMs: number;
  /** Samples per second asked of the profiler. */
  readonly sampleRateHz: number;
  /** Called for each window with at least one sample. */
  onWindow(window: CollectedWindow): void;
  /** Something went wrong that the session survives (a window lost, a parse error). */
  onWarning(message: string): void;
}

/**
 * A profiler attached to one running process. `stop()` takes the last window, hands it to
 * `onWindow` and detaches, leaving the target running; `ended` settles when the session ends on
 * its own (the target exited or the profiler died: then it rejects with a KilnError).
 */
export interface SpySession {
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/** Attaches a profiler to process `pid`; rejects with a named error when it cannot. */
export type AttachSpy = (pid: number, options: AttachOptions) => Promise<SpySession>;
