import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/**
 * @kiln/formats inflates gzip with node:zlib; in the browser the same module is swapped for
 * gzip-browser.ts (fflate), so formats' parsers run unchanged on dropped files.
 */
export function kilnBrowserAliases(): Plugin {
  const browserGzip = fileURLToPath(new URL('../formats/src/gzip-browser.ts', import.meta.url));
  return {
    name: 'kiln-browser-aliases',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === './gzip.js' && importer !== undefined && importer.includes('/formats/src/')) return browserGzip;
      return null;
    },
  };
}
