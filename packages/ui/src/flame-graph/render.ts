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

const FLAME_FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';
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

/** Draws laid-out frames on a canvas, keeping its pixel buffer from frame to frame. */
export interface FlameRenderer {
  render(ctx: CanvasRenderingContext2D, data: FlameData, layout: FlameLayout, options: FlameRenderOptions): void;
}

/**
 * Bars are written straight into an ImageData, one pixel row per level copied down the row's
 * height, then put on the canvas in one call; labels and the selection are drawn on top with
 * the 2D API. Tens of thousands of fillRects (a 100,000-node graph shows 35,000 bars) cost tens
 * of ms to record and as much again to rasterise on a CPU-only canvas; the pixel buffer costs a
 * few ms whatever the bar count. Bars snap to device pixels, which a flame graph wants anyway.
 */
export function createFlameRenderer(): FlameRenderer {
  let image: ImageData | null = null;
  return {
    render(ctx, data, layout, options) {
      const { width, height } = ctx.canvas;
      if (image === null || image.width !== width || image.height !== height)
        image = ctx.createImageData(width, height);
      drawBars(new Uint32Array(image.data.buffer), width, height, ctx, data, layout, options);
      ctx.putImageData(image, 0, 0);
      ctx.setTransform(options.pixelRatio, 0, 0, options.pixelRatio, 0, 0);
      drawLabels(ctx, data, layout, options);
      ctx.globalAlpha = 1;
      if (options.selected !== null) {
        const box = nodeBox(data, layout, options.selected);
        if (box !== null) {
          ctx.strokeStyle = options.theme.selection;
          ctx.lineWidth = 2;
          ctx.strokeRect(box.x + 1, box.y + 1, Math.max(box.width - 2, 1), ROW_HEIGHT_PX - 3);
        }
      }
    },
  };
}

function drawBars(
  pixels: Uint32Array,
  width: number,
  height: number,
  ctx: CanvasRenderingContext2D,
  data: FlameData,
  layout: FlameLayout,
  options: FlameRenderOptions,
): void {
  const { theme, colors, search, pixelRatio } = options;
  const background = packColor(ctx, theme.background, 0);
  pixels.fill(background);
  // Packed colours of this frame, by CSS colour: [full, faded for an ancestor of the focus].
  const packed = new Map<string, [number, number]>();
  const pack = (css: string): [number, number] => {
    let p = packed.get(css);
    if (p === undefined) {
      const full = packColor(ctx, css, background);
      p = [full, blend(full, background, ANCESTOR_ALPHA)];
      packed.set(css, p);
    }
    return p;
  };
  const focusLevel = layout.viewport.focusLevel;
  for (let d = 0; d < layout.rows; d++) {
    const first = layout.levelStart[d]!;
    const end = layout.levelStart[d + 1]!;
    if (first === end) continue;
    const top = Math.round(rowTop(layout.rows, d, layout.inverted) * pixelRatio);
    // The row's last CSS pixel stays background: a line between levels.
    const bottom = Math.min(
      height,
      Math.round((rowTop(layout.rows, d, layout.inverted) + ROW_HEIGHT_PX - 1) * pixelRatio),
    );
    if (top >= bottom) continue;
    const level = data.levels[d]!;
    const rowStart = top * width;
    for (let k = first; k < end; k++) {
      const i = layout.node[k]!;
      const n = layout.nodes[k]!;
      let css: string;
      if (n > 1) {
        const before = search?.matchesBefore[d];
        css = before !== undefined && before[i + n]! > before[i]! ? theme.mergedMatch : theme.merged;
      } else if (search !== null && search.nameMatches[level.name[i]!] !== 1) {
        css = theme.dimmed;
      } else if (data.diff) {
        css = diffColor(diffChange(level.leftTotal[i]!, data.leftTicks, level.rightTotal[i]!, data.rightTicks));
      } else {
        css = colors.of(level.name[i]!);
      }
      const x = layout.x[k]!;
      const w = layout.width[k]!;
      // A 1 px gap between bars wide enough to spare it; narrower ones still get a pixel.
      const x0 = Math.round(x * pixelRatio);
      const x1 = Math.min(width, Math.max(x0 + 1, Math.round((x + (w > 3 ? w - 1 : w)) * pixelRatio)));
      pixels.fill(pack(css)[d < focusLevel ? 1 : 0], rowStart + x0, rowStart + x1);
    }
    for (let y = top + 1; y < bottom; y++) pixels.copyWithin(y * width, rowStart, rowStart + width);
  }
}

/**
 * A CSS colour as the canvas' little-endian RGBA word, translucent ones blended over
 * `under`. The canvas parses it: reading `fillStyle` back gives `#rrggbb` or `rgba(r, g, b, a)`.
 */
function packColor(ctx: CanvasRenderingContext2D, css: string, under: number): number {
  ctx.fillStyle = '#000';
  ctx.fillStyle = css;
  const normal = String(ctx.fillStyle);
  let rgba: number[];
  if (normal.startsWith('#')) {
    const v = parseInt(normal.slice(1, 7), 16);
    rgba = [v >> 16, (v >> 8) & 255, v & 255, 1];
  } else {
    rgba = normal
      .slice(normal.indexOf('(') + 1, -1)
      .split(',')
      .map(Number);
  }
  const [r = 0, g = 0, b = 0, a = 1] = rgba;
  return blend((255 << 24) | (b << 16) | (g << 8) | r, under, a) >>> 0;
}

/** `top` over `under` at opacity `alpha`, both packed, the result opaque. */
function blend(top: number, under: number, alpha: number): number {
  const mix = (shift: number): number =>
    Math.round(((top >>> shift) & 255) * alpha + ((under >>> shift) & 255) * (1 - alpha)) << shift;
  return ((255 << 24) | mix(16) | mix(8) | mix(0)) >>> 0;
}

function drawLabels(
  ctx: CanvasRenderingContext2D,
  data: FlameData,
  layout: FlameLayout,
  options: FlameRenderOptions,
): void {
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
