import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFolded } from '@kiln/formats';
import { cliError } from '../cli-error.js';
import { cpuOnly } from './cpu-only.js';
import { OutputTail, requireProcess, requireProgram, spawnProfiler, type ProfilerExit } from './spawn-profiler.js';
import type { AttachOptions, AttachSpy, SpySession } from './spy.js';

/** How a profiler that records for a set time and then writes folded stacks is run. */
export interface RecordLoopProgram {
  program: 'py-spy' | 'rbspy';
  /** Arguments of one recording of `durationS` seconds into `outFile`. */
  args(pid: number, durationS: number, rateHz: number, outFile: string): string[];
}

/** py-spy: `py-spy record --pid P --rate HZ --duration S --format raw --output F --nonblocking`. */
export const PY_SPY: RecordLoopProgram = {
  program: 'py-spy',
  args: (pid, durationS, rateHz, outFile) => [
    'record',
    '--pid',
    String(pid),
    '--rate',
    String(rateHz),
    '--duration',
    String(durationS),
    '--format',
    'raw',
    '--output',
    outFile,
    '--nonblocking',
  ],
};

/** rbspy: `rbspy record --pid P --rate HZ --duration S --format collapsed --file F --silent`. */
export const RBSPY: RecordLoopProgram = {
  program: 'rbspy',
  args: (pid, durationS, rateHz, outFile) => [
    'record',
    '--pid',
    String(pid),
    '--rate',
    String(rateHz),
    '--duration',
    String(durationS),
    '--format',
    'collapsed',
    '--file',
    outFile,
    '--silent',
  ],
};

/**
 * Runs a record-for-a-while profiler (py-spy, rbspy) once per window, each run writing folded
 * stacks (one count per sample) that become a CPU window. The runs follow each other, so a
 * few milliseconds between windows go unsampled (the profiler's start-up). The session ends
 * when a run fails and the process is gone.
 */
export function attachRecordLoop(spec: RecordLoopProgram): AttachSpy {
  return async (pid: number, options: AttachOptions): Promise<SpySession> => {
    const path = requireProgram(spec.program);
    requireProcess(pid);
    const dir = mkdtempSync(join(tmpdir(), `kiln-${spec.program}-`));
    const durationS = Math.max(1, Math.round(options.intervalMs / 1000));
    const periodNs = 1e9 / options.sampleRateHz;
    let stopping = false;
    let current: { kill(signal: NodeJS.Signals): void } | null = null;
    let run = 0;

    const recordOnce = async (): Promise<ProfilerExit & { stderr: string; file: string; startMs: number }> => {
      const file = join(dir, `window-${run++}.txt`);
      const startMs = Date.now();
      const { child, exited } = await spawnProfiler(path, spec.args(pid, durationS, options.sampleRateHz, file));
      current = child;
      const stderr = new OutputTail();
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (c: string) => stderr.add(c));
      child.stdout!.resume();
      const exit = await exited;
      current = null;
      return { ...exit, stderr: stderr.toString(), file, startMs };
    };

    const loop = async (): Promise<void> => {
      try {
        for (;;) {
          const result = await recordOnce();
          const endMs = Date.now();
          let text: Buffer | null = null;
          try {
            text = readFileSync(result.file);
          } catch {
            // no output this run
          }
          if (text !== null && text.length > 0) {
            try {
              const profile = parseFolded(text);
              if (profile !== null && profile.samples.length > 0) {
                options.onWindow({
                  profile: cpuOnly(profile, periodNs),
                  startMs: result.startMs,
                  endMs,
                  spyName: spec.program.replace('-', ''),
                });
              }
            } catch (err) {
              options.onWarning(
                `${spec.program}: a window was lost: ${err instanceof Error ? err.message : String(err)}`,
              );
            }
          }
          if (stopping) return;
          if (!isAlive(pid)) return;
          if (result.code !== 0) {
            throw cliError(
              'ERR_CLI_SPY_FAILED',
              `${spec.program} record ended (${result.signal ?? `exit code ${result.code}`}): ${result.stderr || 'no message'}`,
              { program: spec.program },
            );
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const ended = loop();
    ended.catch(() => {});
    return {
      ended,
      async stop() {
        stopping = true;
        current?.kill('SIGINT');
        await ended;
      },
    };
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
