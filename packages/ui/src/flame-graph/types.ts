/**
 * The flame graph component's contract with the views (app/, views/) and the standalone page.
 * A flame graph is drawn from Pyroscope's flamebearer (what /pyroscope/render returns), single
 * or diff, so the server's answer is drawn without rebuilding a tree.
 */
import type { DiffFlamebearer, Flamebearer } from '@kiln/model';

export type FlameInput = Flamebearer | DiffFlamebearer;

/** A node named by its path of function names from the root ('total' not included). */
export type NodePath = readonly string[];

export interface FlameGraphProps {
  /** From /pyroscope/render (`flamebearer`) or render-diff (`format: 'double'` with leftTicks/rightTicks). */
  flamebearer: FlameInput;
  /** Diff flame graphs pass `true` (the 7-integer layout). */
  diff?: boolean;
  /** The profile's sample unit: `nanoseconds`, `bytes`, `count`, ... (formats values; see app/units.ts). */
  unit: string;
  /** The node drawn at full width (its ancestors above it, full width, dimmed); null: the root. */
  focus: NodePath | null;
  onFocus(path: NodePath | null): void;
  /** Case-insensitive substring: matching nodes are highlighted, the rest dimmed. */
  search?: string;
  /**
   * Draw at this total's scale instead of the graph's own (comparison view: both graphs use the
   * larger total, so the same width means the same value).
   */
  scaleTotal?: number;
  /** Root at the bottom, growing upwards (the callers half of the sandwich view). */
  inverted?: boolean;
  /** Asked for a function's sandwich view (context menu / key `s`). */
  onSandwich?(name: string): void;
  /** data-testid of the wrapper, so a page with two graphs can tell them apart. */
  testId?: string;
  /** Called after each canvas frame with the ms spent laying it out and drawing it (the browser bench's frame time). */
  onFrameDrawn?(drawMs: number): void;
}

/** CSS pixels per row; the e2e tests compute node positions from it. */
export const ROW_HEIGHT_PX = 18;
