import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { storageError } from './errors.js';
import { LEVELS } from './rollups.js';
import { FORMAT_NAME, FORMAT_VERSION } from './schema.js';

/** Per-level times in a small JSON file (null for none), replaced atomically by rename. */
export function readLevelTimes(file: string): number[] {
  if (!existsSync(file)) return LEVELS.map(() => -Infinity);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { levels: (number | null)[] };
  return LEVELS.map((_, l) => saved.levels[l] ?? -Infinity);
}

export function writeLevelTimes(file: string, times: readonly number[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ levels: times.map((t) => (Number.isFinite(t) ? t : null)) }) + '\n');
  renameSync(`${file}.tmp`, file);
}

/**
 * Checks `<dir>/FORMAT` names this format and version (writing it into a new directory):
 * another version fails with ERR_STORAGE_FORMAT_VERSION, naming both.
 */
export function checkFormat(dir: string): void {
  const file = join(dir, 'FORMAT');
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ format: FORMAT_NAME, version: FORMAT_VERSION }) + '\n');
    return;
  }
  let found: { format?: string; version?: number } = {};
  try {
    found = JSON.parse(readFileSync(file, 'utf8')) as typeof found;
  } catch {
    // An unreadable FORMAT file is a mismatch like any other.
  }
  if (found.format !== FORMAT_NAME || found.version !== FORMAT_VERSION) {
    throw storageError(
      'ERR_STORAGE_FORMAT_VERSION',
      `${dir} holds ${found.format ?? 'unknown'} format version ${found.version ?? '?'}; this Kiln reads ${FORMAT_NAME} version ${FORMAT_VERSION}`,
    );
  }
}
