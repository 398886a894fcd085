import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePerfScript } from '@kiln/formats';
import type { Profile } from '@kiln/model';
import { cliError } from '../cli-error.js';
import { cpuOnly } from './cpu-only.js';
import { OutputTail, requireProcess, requireProgram, spawnProfiler } from './spawn-profiler.js';
import type { AttachSpy, SpySession } from './spy.js';

const execFileAsync = promisify(execFile);

/** Largest `perf script` text read per window (a 10 s window at 100 Hz of a busy program is a few MB). */
export const PERF_SCRIPT_MAX_BYTES = 256 * 1024 * 1024;

export interface PerfRecordingOptions {
  /** What to sample: `['-p', PID]` or `['-a']` (every CPU, every process). */
  targetArgs: readonly string[];
  sampleRateHz: number;
  intervalMs: number;
  /** `perf script -F` fields; default perf's own. */
  scriptFields?: string;
  /** Each window's samples, parsed (null windows had none). */
  onProfile(profile: Profile, startMs: number, endMs: number): void;
  onWarning(message: string): void;
}

/**
 * One `perf record -e cpu-clock -F <Hz> -g` for the whole session (the software clock works in
 * VMs without hardware counters; frame-pointer call graphs), cut into windows without gaps: each
 * interval SIGUSR2 makes perf close its output file and start a new one
 * (`--switch-output=signal`). Each closed file goes through `perf script` and Kiln's perf script
 * parser, and is deleted. `ended` settles when perf exits: after `stop()`, or on its own when
 * the process it follows ends (then rejecting with ERR_CLI_SPY_FAILED if perf failed).
 */
export async function startPerfRecording(options: PerfRecordingOptions): Promise<SpySession> {
  const perf = requireProgram('perf');
  const dir = mkdtempSync(join(tmpdir(), 'kiln-perf-'));
  const { child, exited } = await spawnProfiler(perf, [
    'record',
    '-e',
    'cpu-clock',
    '-F',
    String(options.sampleRateHz),
    '-g',
    ...options.targetArgs,
    '--switch-output=signal',
    '-o',
    join(dir, 'perf.data'),
  ]);
  const stderr = new OutputTail();
  /** Window boundaries asked for (SIGUSR2 sent), waiting for perf to say which file holds them. */
  const switchTimesMs: number[] = [];
  let windowStartMs = Date.now();
  let stopping = false;
  let processing = Promise.resolve();
  const scriptArgs = options.scriptFields === undefined ? [] : ['-F', options.scriptFields];

  const takeFile = (file: string): void => {
    const startMs = windowStartMs;
    const endMs = switchTimesMs.shift() ?? Date.now();
    windowStartMs = endMs;
    processing = processing.then(async () => {
      try {
        const { stdout } = await execFileAsync(perf, ['script', ...scriptArgs, '-i', file], {
          maxBuffer: PERF_SCRIPT_MAX_BYTES,
          encoding: 'buffer',
        });
        const profile = parsePerfScript(stdout);
        if (profile !== null && profile.samples.length > 0) options.onProfile(profile, startMs, endMs);
      } catch (err) {
        options.onWarning(`perf: a window was lost: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        rmSync(file, { force: true });
      }
    });
  };

  let pending = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const dump = /perf record: Dump (\S+) \]/.exec(line);
      if (dump) takeFile(dump[1]!);
      else if (!line.startsWith('[ perf record:')) stderr.add(`${line}\n`);
    }
  });
  child.stdout!.resume();

  const timer = setInterval(() => {
    switchTimesMs.push(Date.now());
    child.kill('SIGUSR2');
  }, options.intervalMs);

  const ended = exited.then(async ({ code, signal }) => {
    clearInterval(timer);
    await processing;
    rmSync(dir, { recursive: true, force: true });
    // perf ends with 0 when the process it follows exits; SIGINT from stop() is also fine.
    if (!stopping && code !== 0) {
      throw cliError(
        'ERR_CLI_SPY_FAILED',
        `perf record ended (${signal ?? `exit code ${code}`}): ${stderr.toString() || 'no message'}`,
        { program: 'perf' },
      );
    }
  });
  ended.catch(() => {});

  return {
    ended,
    async stop() {
      if (!stopping) {
        stopping = true;
        clearInterval(timer);
        child.kill('SIGINT');
      }
      await ended;
    },
  };
}

/**
 * Samples one process with Linux perf (`-p PID`, which follows its threads). Programs need frame
 * pointers for whole stacks (`-fno-omit-frame-pointer`; Go keeps them); Node needs
 * `--perf-basic-prof` for JavaScript names.
 */
export const attachPerf: AttachSpy = async (pid, options) => {
  requireProgram('perf');
  requireProcess(pid);
  const periodNs = 1e9 / options.sampleRateHz;
  return startPerfRecording({
    targetArgs: ['-p', String(pid)],
    sampleRateHz: options.sampleRateHz,
    intervalMs: options.intervalMs,
    onProfile: (profile, startMs, endMs) =>
      options.onWindow({ profile: cpuOnly(profile, periodNs), startMs, endMs, spyName: 'perf' }),
    onWarning: options.onWarning,
  });
};
