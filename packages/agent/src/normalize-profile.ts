import type { PprofProfile } from './pprof-module.js';

export interface NormalizeProfileOptions {
  /** Rewrite function names to `./file.js:name:line`, as the official Pyroscope Node SDK does. */
  qualifyFunctionNames: boolean;
  /** Replaced by `.` in file paths inside qualified names. */
  cwd: string;
}

/**
 * V8's sample type names, renamed to the Go names Pyroscope expects (and the official SDK
 * sends): a server derives the profile type from them (`samples` and `wall`, `inuse_space`).
 */
const SAMPLE_TYPE_RENAMES: Readonly<Record<string, string>> = {
  sample: 'samples',
  objects: 'inuse_objects',
  space: 'inuse_space',
};

/**
 * Makes a profile from @datadog/pprof look like what the official Pyroscope Node SDK 0.6.x
 * uploads, in place: Go sample type names and, optionally, file-qualified function names.
 *
 * Qualified names exist because Pyroscope's and Grafana's flame graphs show only the function
 * name: without the file, every `(anonymous)` and every `handler` in the program would merge
 * into one frame. A name that already has a `:` (`Map.get:...`, V8's synthetic frames) is kept,
 * except V8's `(anonymous:L#..)` form; the line is the location's, as in the SDK.
 */
export function normalizeProfile(profile: PprofProfile, options: NormalizeProfileOptions): void {
  const strings = profile.stringTable.strings;
  for (const valueType of profile.sampleType) {
    const renamed = SAMPLE_TYPE_RENAMES[strings[Number(valueType.type)] ?? ''];
    if (renamed !== undefined) valueType.type = profile.stringTable.dedup(renamed);
  }
  if (!options.qualifyFunctionNames) return;

  const functionsById = new Map<number, PprofProfile['function'][number]>();
  for (const fn of profile.function) functionsById.set(Number(fn.id), fn);
  const done = new Set<number>();
  for (const location of profile.location) {
    for (const line of location.line) {
      const id = Number(line.functionId);
      const fn = functionsById.get(id);
      if (fn === undefined || done.has(id)) continue;
      done.add(id);
      const name = strings[Number(fn.name)] ?? '';
      if (name.includes(':') && !name.startsWith('(anonymous')) continue;
      const file = (strings[Number(fn.filename)] ?? '').replace(options.cwd, '.');
      fn.name = profile.stringTable.dedup(`${file}:${name}:${Number(line.line)}`);
    }
  }
}
