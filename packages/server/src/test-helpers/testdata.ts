import { join } from 'node:path';

/** Path of a file under the repository's testdata/ folder. */
export function testdata(...parts: string[]): string {
  return join(import.meta.dirname, '..', '..', '..', '..', 'testdata', ...parts);
}
