import { createNameColors } from './colors.js';
import { decodeFlameData, findByPath } from './flame-data.js';
import { layoutFlame, viewportOf } from './layout.js';
import { createFlameRenderer, readFlameTheme } from './render.js';
import { buildSearchMask } from './search.js';
import { ROW_HEIGHT_PX, type FlameInput, type NodePath } from './types.js';

export interface FlamePngOptions {
  flamebearer: FlameInput;
  diff?: boolean;
  focus?: NodePath | null;
  search?: string;
  inverted?: boolean;
  scaleTotal?: number;
  /** Width of the image in CSS px; its height follows from the graph's depth. */
  widthPx: number;
  /** Image pixels per CSS px (2 for a sharp image on a high-density screen); default 1. */
  pixelRatio?: number;
  /** Where the theme's CSS custom properties are read; default the document's root. */
  themeElement?: Element;
}

/** The whole graph (every row, at the current focus) drawn off-screen, as a PNG: the UI's PNG export. */
export function renderFlamePng(options: FlamePngOptions): Promise<Blob> {
  const data = decodeFlameData(options.flamebearer, options.diff ?? false);
  const focus = options.focus == null ? null : findByPath(data, options.focus);
  const pixelRatio = options.pixelRatio ?? 1;
  const layout = layoutFlame(data, viewportOf(data, focus, options.scaleTotal), {
    widthPx: options.widthPx,
    inverted: options.inverted ?? false,
  });
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(options.widthPx * pixelRatio);
  canvas.height = Math.max(1, Math.round(layout.rows * ROW_HEIGHT_PX * pixelRatio));
  const ctx = canvas.getContext('2d');
  if (ctx === null) return Promise.reject(new Error('no 2D canvas context for the PNG export'));
  createFlameRenderer().render(ctx, data, layout, {
    theme: readFlameTheme(options.themeElement ?? document.documentElement),
    colors: createNameColors(data.names),
    search: buildSearchMask(data, options.search ?? ''),
    selected: null,
    pixelRatio,
  });
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob === null ? reject(new Error('the canvas gave no PNG')) : resolve(blob)), 'image/png'),
  );
}
