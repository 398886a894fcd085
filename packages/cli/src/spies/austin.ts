import { readlinkSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { ProfileBuilder, type Profile } from '@kiln/model';
import { cliError } from '../cli-error.js';
import { OutputTail, requireProcess, requireProgram, spawnProfiler } from './spawn-profiler.js';
import type { AttachSpy, SpySession } from './spy.js';

/**
 * austin's samples are wall-clock time: Debian's austin 1.0 cannot tell a sleeping thread from a
 * running one (its `-s` changes nothing here), so its windows are `wall` profiles, not CPU.
 */
const WALL = { type: 'wall', unit: 'nanoseconds' } as const;

/**
 * Samples a Python process with austin (`austin -i <µs> -p PID`, every thread), reading its
 * collapsed-stack lines as they come; the server stores them as `wall:wall:nanoseconds`.
 * Frames are named `function (file)` with the file relative to the process's working
 * directory when it lies inside it (`hot_loop (app/jobs.py)`), as austin printed it otherwise. Debian's austin 1.0 reads Python 3.8
 * and older. Line numbers are kept on the locations; the `Process`/`Thread` frames austin puts
 * first are dropped.
 */
export const attachAustin: AttachSpy = async (pid, options) => {
  const austin = requireProgram('austin');
  requireProcess(pid);
  const intervalUs = Math.max(1, Math.round(1e6 / options.sampleRateHz));
  const { child, exited } = await spawnProfiler(austin, ['-i', String(intervalUs), '-t', '1000', '-p', String(pid)]);
  const stderr = new OutputTail();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => stderr.add(chunk));

  const cwd = processCwd(pid);
  let window = new AustinWindow(intervalUs * 1000, cwd);
  let windowStartMs = Date.now();
  const flush = (): void => {
    const endMs = Date.now();
    const profile = window.build();
    window = new AustinWindow(intervalUs * 1000, cwd);
    const startMs = windowStartMs;
    windowStartMs = endMs;
    if (profile !== null) options.onWindow({ profile, startMs, endMs, spyName: 'austin' });
  };

  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) window.addLine(line);
  });
  const timer = setInterval(flush, options.intervalMs);
  let stopping = false;

  const ended = exited.then(({ code, signal }) => {
    clearInterval(timer);
    if (pending !== '') window.addLine(pending);
    flush();
    // austin exits with 0 when the process it samples ends.
    if (!stopping && code !== 0) {
      throw cliError(
        'ERR_CLI_SPY_FAILED',
        `austin ended (${signal ?? `exit code ${code}`}): ${stderr.toString() || 'no message'}`,
        {
          program: 'austin',
        },
      );
    }
  });
  ended.catch(() => {});

  const session: SpySession = {
    ended,
    async stop() {
      if (!stopping) {
        stopping = true;
        child.kill('SIGINT');
      }
      await ended;
    },
  };
  return session;
};

/** The samples of one window, from austin's lines `Thread 7f..;main (app.py);L11;work (app.py);L4 10079`. */
export class AustinWindow {
  private readonly builder: ProfileBuilder;
  private samples = 0;

  constructor(
    periodNs: number,
    private readonly cwd: string | null = null,
  ) {
    this.builder = new ProfileBuilder({ sampleTypes: [WALL], periodType: WALL, period: periodNs, aggregate: true });
  }

  /** Adds one sample line; lines that are not samples (blank, `#` metadata) are skipped. */
  addLine(line: string): void {
    const space = line.lastIndexOf(' ');
    if (space <= 0 || line.startsWith('#')) return;
    const micros = Number(line.slice(space + 1));
    if (!Number.isFinite(micros) || micros <= 0) return;
    const locations: number[] = [];
    for (const token of line.slice(0, space).split(';')) {
      if (token.startsWith('Process ') || token.startsWith('Thread ') || token === '') continue;
      if (/^L\d+$/.test(token)) {
        // The line of the frame before it: rebuild that location with its line.
        const last = locations.pop();
        if (last !== undefined) locations.push(this.location(this.lastFrame, Number(token.slice(1))));
        continue;
      }
      this.lastFrame = token;
      locations.push(this.location(token, 0));
    }
    if (locations.length === 0) return;
    this.builder.addSample(locations.reverse(), [micros * 1000]);
    this.samples++;
  }

  private lastFrame = '';

  private location(frame: string, line: number): number {
    const open = frame.lastIndexOf(' (');
    const filename = open > 0 && frame.endsWith(')') ? frame.slice(open + 2, -1) : '';
    const shown = this.cwd !== null && isAbsolute(filename) ? relative(this.cwd, filename) : filename;
    const name = shown !== filename && !shown.startsWith('..') ? `${frame.slice(0, open)} (${shown})` : frame;
    const fn = this.builder.addFunction({ name, filename });
    return this.builder.addLocation({ lines: [{ fn, line }] });
  }

  /** Null when no sample came. */
  build(): Profile | null {
    return this.samples === 0 ? null : this.builder.build();
  }
}

function processCwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}
