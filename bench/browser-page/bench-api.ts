// What the browser bench page (main.tsx) offers bench/browser.ts, through `window.kilnBench`.

export interface FirstPaint {
  /** JSON.parse of the flamebearer response. */
  parseMs: number;
  /** From the parsed flamebearer to the first frame shown with the graph on the canvas. */
  firstPaintMs: number;
  /** Layout + canvas drawing of that first frame, as the component reports it. */
  firstDrawMs: number;
}

export interface ZoomFrames {
  /** Layout + canvas drawing of each animation frame. */
  drawMs: number[];
  /** Time between the ends of consecutive drawn animation frames. */
  intervalMs: number[];
}

export interface BenchApi {
  /** Fetches a flamebearer JSON and mounts a FlameGraph of it. */
  firstPaint(url: string): Promise<FirstPaint>;
  /** Focuses each path in turn and back to the root, each change animated. */
  zoom(paths: string[][]): Promise<ZoomFrames>;
}

export interface BenchWindow {
  kilnBench: BenchApi;
}
