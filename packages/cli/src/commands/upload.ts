import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseProfile, type InputFormat } from '@kiln/formats';
import type { Profile } from '@kiln/model';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { cpuOnly } from '../spies/cpu-only.js';
import { IngestClient, type IngestUpload } from '../upload/ingest-client.js';
import { addServerOptions, parseDurationMs, positiveInt, type ServerOptions } from './profile-options.js';

export interface UploadOptions extends ServerOptions {
  sampleRate: number;
  /** Length of a file's profile when it records none (folded stacks). */
  duration: number;
  concurrency: number;
}

export const UPLOAD_DEFAULTS = { concurrency: 4, durationMs: 10_000, sampleRateHz: 100 } as const;

/**
 * What one file becomes on the server. pprof, speedscope and flamebearer keep their sample
 * types; folded stacks and perf script are CPU samples, sent as `cpu/nanoseconds` (folded counts
 * times 1 / `--sample-rate`) so they join the CPU series agents send. The time is the
 * profile's own (pprof's time_nanos), else the upload's: the `--duration` ending now (a file's
 * modification time says when it was copied as often as when it was recorded).
 */
export function uploadOfFile(
  bytes: Uint8Array,
  file: string,
  options: Pick<UploadOptions, 'sampleRate' | 'duration'>,
  nowMs = Date.now(),
): IngestUpload & { format: InputFormat } {
  const { format, profile } = parseProfile(bytes, { filename: file });
  const cpu = format === 'folded' || format === 'perf-script';
  const sent: Profile = cpu ? cpuOnly(profile, 1e9 / options.sampleRate) : profile;
  let startMs: number;
  let endMs: number;
  if (profile.timeNs > 365 * 24 * 3600 * 1e9) {
    startMs = Math.floor(profile.timeNs / 1e6);
    endMs = startMs + Math.max(1_000, Math.round(profile.durationNs / 1e6));
  } else {
    endMs = nowMs;
    startMs = endMs - (profile.durationNs > 0 ? Math.round(profile.durationNs / 1e6) : options.duration);
  }
  return { format, profile: sent, startMs, endMs, spyName: `kiln-upload-${format}` };
}

/**
 * `kiln upload FILE...`: sends profile files (pprof, folded, perf script, speedscope,
 * flamebearer JSON) to a server's /ingest, `concurrency` at a time, with a progress bar on a
 * terminal. Files that fail are listed; the exit code is 1 if any did.
 */
export async function uploadFiles(files: readonly string[], options: UploadOptions): Promise<number> {
  const client = new IngestClient({
    serverAddress: options.serverAddress,
    appName: options.applicationName!,
    tags: options.tag,
    authToken: options.authToken,
    tenantId: options.tenantId,
  });
  const bar =
    process.stderr.isTTY && files.length > 1
      ? new SingleBar({ format: 'uploading [{bar}] {value}/{total} {file}', stream: process.stderr })
      : null;
  bar?.start(files.length, 0, { file: '' });
  const failures: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      try {
        const upload = uploadOfFile(readFileSync(file), file, options);
        await client.send(upload);
        if (bar === null)
          process.stderr.write(`kiln: uploaded ${file} (${upload.format}, ${upload.profile.samples.length} samples)\n`);
      } catch (err) {
        const message =
          err instanceof Error ? `${'code' in err ? `${String(err.code)}: ` : ''}${err.message}` : String(err);
        failures.push(`${file}: ${message}`);
        if (bar === null) process.stderr.write(`kiln: ${file}: ${message}\n`);
      }
      bar?.update(++done, { file: basename(file) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, files.length) }, worker));
  bar?.stop();
  if (bar !== null) for (const f of failures) process.stderr.write(`kiln: ${f}\n`);
  process.stderr.write(
    `kiln: ${files.length - failures.length} of ${files.length} file(s) uploaded as ${options.applicationName}\n`,
  );
  return failures.length === 0 ? 0 : 1;
}

export function registerUpload(program: Command): void {
  const command = program
    .command('upload')
    .description('send profile files (pprof, folded, perf script, speedscope, flamebearer JSON) to a server')
    .argument('<files...>', 'profile files; gzip is detected');
  addServerOptions(command)
    .addOption(
      new Option('--sample-rate <hz>', 'samples per second of folded stacks (a count becomes 1/rate s of CPU)')
        .argParser(positiveInt('--sample-rate'))
        .default(UPLOAD_DEFAULTS.sampleRateHz),
    )
    .addOption(
      new Option('--duration <duration>', 'time a file covers when it says none')
        .argParser(parseDurationMs)
        .default(UPLOAD_DEFAULTS.durationMs, '10s'),
    )
    .addOption(
      new Option('--concurrency <n>', 'uploads at a time')
        .argParser(positiveInt('--concurrency'))
        .default(UPLOAD_DEFAULTS.concurrency),
    )
    .action(async (files: string[], opts: UploadOptions) => {
      if (!opts.applicationName)
        command.error('error: --app <name> is required (or KILN_APPLICATION_NAME)', { exitCode: 2 });
      process.exitCode = await uploadFiles(files, opts);
    });
}
