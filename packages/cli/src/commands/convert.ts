import { readFileSync, writeFileSync } from 'node:fs';
import type { Profile } from '@kiln/model';
import {
  FormatErrorCode,
  formatError,
  parseProfile,
  serializeFlamebearer,
  serializeFolded,
  serializePprof,
  serializeSpeedscope,
} from '@kiln/formats';
import type { Command } from 'commander';

export const OUTPUT_FORMATS = ['folded', 'pprof', 'speedscope', 'flamebearer'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface ConvertOptions {
  to: OutputFormat;
  /** A sample type name (`cpu`, `alloc_space`) or `type/unit`; default the profile's default. */
  type?: string;
  filename?: string;
}

/**
 * Converts a profile in any format Kiln reads into `options.to`. Text formats come back as a
 * string, pprof as gzipped bytes.
 */
export function convertProfile(bytes: Uint8Array, options: ConvertOptions): string | Uint8Array {
  const { profile } = parseProfile(bytes, { filename: options.filename });
  const sampleType = options.type === undefined ? profile.defaultSampleType : findSampleType(profile, options.type);
  switch (options.to) {
    case 'folded':
      return serializeFolded(profile, { sampleType });
    case 'pprof':
      return serializePprof({ ...profile, defaultSampleType: sampleType });
    case 'speedscope':
      return serializeSpeedscope(profile, { sampleType, name: options.filename });
    case 'flamebearer':
      return serializeFlamebearer(profile, { sampleType });
  }
}

export function findSampleType(profile: Profile, wanted: string): number {
  const i = profile.sampleTypes.findIndex((t) => t.type === wanted || `${t.type}/${t.unit}` === wanted);
  if (i === -1) {
    const have = profile.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
    throw formatError(FormatErrorCode.unsupported, `sample type "${wanted}" is not in the profile; it has ${have}`);
  }
  return i;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a profile (pprof, folded, perf script, speedscope, flamebearer JSON) to another format')
    .argument('<file>', 'the profile to read; gzip is detected')
    .option('--to <format>', `output format: ${OUTPUT_FORMATS.join(', ')}`, 'folded')
    .option('--type <sample_type>', "sample type to output, by name or type/unit (default: the profile's default)")
    .option('--out <file>', 'write here instead of standard output')
    .action((file: string, opts: { to: string; type?: string; out?: string }) => {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(opts.to)) {
        program.error(`--to must be one of ${OUTPUT_FORMATS.join(', ')}, not "${opts.to}"`, { exitCode: 2 });
      }
      const result = convertProfile(readFileSync(file), {
        to: opts.to as OutputFormat,
        type: opts.type,
        filename: file,
      });
      if (opts.out) writeFileSync(opts.out, result);
      else process.stdout.write(result);
    });
}
