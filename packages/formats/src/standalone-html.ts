import type { DiffFlamebearer, Flamebearer } from '@kiln/model';

/** What a standalone page shows: one flame graph (single or diff) and where it came from. */
export interface StandaloneData {
  flamebearer: Flamebearer | DiffFlamebearer;
  metadata: {
    name: string;
    /** The sample unit: `nanoseconds`, `bytes`, `count`, ... */
    unit: string;
    /** `process_cpu:cpu:nanoseconds:cpu:nanoseconds`. */
    profileType: string;
    /** The time range, Unix ms; null when the profile has none (a dropped file). */
    from: number | null;
    until: number | null;
  };
}

/** The id of the `<script type="application/json">` the standalone script reads its data from. */
export const STANDALONE_DATA_ID = 'kiln-data';

/**
 * One self-contained HTML file: the standalone script (packages/ui's
 * dist/standalone/kiln-standalone.js, CSS inside) and the data, inlined, so it opens offline
 * from disk. Used by the UI's HTML export, `kiln adhoc` and `kiln query --out x.html`.
 *
 * @example
 *   const html = buildStandaloneHtml(readFileSync('dist/standalone/kiln-standalone.js', 'utf8'), {
 *     flamebearer,
 *     metadata: { name: 'api', unit: 'nanoseconds', profileType, from: null, until: null },
 *   });
 */
export function buildStandaloneHtml(script: string, data: StandaloneData): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(data.metadata.name)} · Kiln flame graph</title>`,
    '</head>',
    '<body>',
    '<div id="root"></div>',
    `<script type="application/json" id="${STANDALONE_DATA_ID}">${escapeJsonForScript(JSON.stringify(data))}</script>`,
    `<script>${escapeScript(script)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * In JSON, `<` only occurs inside strings, where `\u003c` means the same: no function name can
 * end the script element (`</script>`) or open an HTML comment (`<!--`) in it.
 */
function escapeJsonForScript(json: string): string {
  return json.replace(/</g, '\\u003c');
}

/**
 * A minified script only holds `</script` or `<!--` inside string, template or regex literals;
 * `\x3C` is `<` in all three, in every regex mode.
 */
export function escapeScript(script: string): string {
  return script.replace(/<(?=\/script|!--)/gi, '\\x3C');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
}
