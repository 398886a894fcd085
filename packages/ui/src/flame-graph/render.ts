import { diffChange, diffColor, type NameColors } from './colors.js';
import type { FlameData, NodeRef } from './flame-data.js';
import { nodeBox, rowTop, type FlameLayout } from './layout.js';
import type { SearchMask } from './search.js';
import { ROW_HEIGHT_PX } from './types.js';

/** Colours the canvas takes from CSS custom properties on the wrapper (flame-graph.css). */
export interface FlameTheme {
  background: string;
  text: string;
  /** Bars a search does not match. */
  dimmed: string;
  dimmedText: string;
  /** Runs of merged sub-pixel nodes. */
  merged: string;
  /** A merged run that holds a search match. */
  mergedMatch: string;
  /** Outline of the keyboard-selected node. */
  selection: string;
}

const THEME_VARS: Record<keyof FlameTheme, string> = {
  background: '--kiln-flame-bg',
  text: '--kiln-flame-text',
  dimmed: '--kiln-flame-dimmed',
  dimmedText: '--kiln-flame-dimmed-text',
  merged: '--kiln-flame-merged',
  mergedMatch: '--kiln-flame-merged-match',
  selection: '--kiln-flame-selection',
};

/** The light theme, for when the stylesheet is absent (a PNG drawn before the CSS loads). */
const LIGHT_THEME: FlameTheme = {
  background: '#ffffff',
  text: '#1b1b1f',
  dimmed: '#e4e4e7',
  dimmedText: '#8b8b93',
  merged: '#b4b4bb',
  mergedMatch: '#d6336c',
  selection: '#1c7ed6',
};

export function readFlameTheme(element: Element): FlameTheme {
  const style = getComputedStyle(element);
  const theme = { ...LIGHT_THEME };
  for (const key of Object.keys(THEME_VARS) as (keyof FlameTheme)[]) {
    const value = style.getPropertyValue(THEME_VARS[key]).trim();
    if (value !== '') theme[key] = value;
  }
  return theme;
}

export const FLAME_FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';
const LABEL_PAD_PX = 3;
/** Ancestors of the focused node are drawn faded, as Pyroscope does. */
const ANCESTOR_ALPHA = 0.45;

export interface FlameRenderOptions {
  theme: FlameTheme;
  colors: NameColors;
  search: SearchMask | null;
  selected: NodeRef | null;
  /** Device pixels per CSS pixel; the canvas is already sized for it. */
  pixelRatio: number;
}

/**
 * Draws a laid-out frame: bars first, then labels, so fill styles change as little as
 * possible. Labels use a monospace font, so fitting one is arithmetic, not measureText per bar.
 */
export function renderFlame(
  ctx: CanvasRenderingContext2D,
  data: FlameData,
  layout: FlameLayout,
  options: FlameRenderOptions,
): void {
  const { theme, colors, search } = options;
  const heightPx = layout.rows * ROW_HEIGHT_PX;
  ctx.setTransform(options.pixelRatio, 0, 0, options.pixelRatio, 0, 0);
  ctx.globalAlpha = 1;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, layout.widthPx, heightPx);
  const focusLevel = layout.viewport.focusLevel;
  let fill = '';
  for (let k = 0; k < layout.count; k++) {
    const d = layout.level[k]!;
    const i = layout.node[k]!;
    const n = layout.nodes[k]!;
    const level = data.levels[d]!;
    let color: string;
    if (n > 1) {
      const before = search?.matchesBefore[d];
      color = before !== undefined && before[i + n]! > before[i]! ? theme.mergedMatch : theme.merged;
    } else if (search !== null && search.nameMatches[level.name[i]!] !== 1) {
      color = theme.dimmed;
    } else if (data.diff) {
      color = diffColor(diffChange(level.leftTotal[i]!, data.leftTicks, level.rightTotal[i]!, data.rightTicks));
    } else {
      color = colors.of(level.name[i]!);
    }
    if (color !== fill) ctx.fillStyle = fill = color;
    ctx.globalAlpha = d < focusLevel ? ANCESTOR_ALPHA : 1;
    const w = layout.width[k]!;
    // A 1 px gap between bars wide enough to spare it; narrower ones still get a pixel.
    ctx.fillRect(layout.x[k]!, rowTop(layout.rows, d, layout.inverted), w > 3 ? w - 1 : Math.max(w, 1), ROW_HEIGHT_PX - 1);
  }
  drawLabels(ctx, data, layout, options);
  ctx.globalAlpha = 1;
  if (options.selected !== null) {
    const box = nodeBox(data, layout, options.selected);
    if (box !== null) {
      ctx.strokeStyle = theme.selection;
      ctx.lineWidth = 2;
      ctx.strokeRect(box.x + 1, box.y + 1, Math.max(box.width - 2, 1), ROW_HEIGHT_PX - 3);
    }
  }
}

function drawLabels(ctx: CanvasRenderingContext2D, data: FlameData, layout: FlameLayout, options: FlameRenderOptions): void {
  const { theme, search } = options;
  ctx.font = FLAME_FONT;
  ctx.textBaseline = 'middle';
  const charPx = ctx.measureText('0').width;
  const minLabelPx = 2 * LABEL_PAD_PX + 3 * charPx;
  const focusLevel = layout.viewport.focusLevel;
  let fill = '';
  for (let k = 0; k < layout.count; k++) {
    const w = layout.width[k]!;
    if (w < minLabelPx || layout.nodes[k]! > 1) continue;
    const d = layout.level[k]!;
    const nameIndex = data.levels[d]!.name[layout.node[k]!]!;
    const name = data.names[nameIndex] ?? '';
    const fits = Math.floor((w - 2 * LABEL_PAD_PX) / charPx);
    const text = name.length <= fits ? name : `${name.slice(0, fits - 1)}…`;
    const color = search !== null && search.nameMatches[nameIndex] !== 1 ? theme.dimmedText : theme.text;
    if (color !== fill) ctx.fillStyle = fill = color;
    ctx.globalAlpha = d < focusLevel ? ANCESTOR_ALPHA : 1;
    ctx.fillText(text, layout.x[k]! + LABEL_PAD_PX, rowTop(layout.rows, d, layout.inverted) + ROW_HEIGHT_PX / 2);
  }
}
