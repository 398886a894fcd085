// The browser bench's page: the real FlameGraph component, driven by bench/browser.ts through
// window.kilnBench (bench-api.ts). Built by vite into a temporary directory for each run.
import { useState, type JSX } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { FlameGraph } from '../../packages/ui/src/flame-graph/FlameGraph.js';
import type { FlameInput, NodePath } from '../../packages/ui/src/flame-graph/types.js';
import type { BenchApi, BenchWindow } from './bench-api.js';

/** The frame in which the canvas was drawn has been presented once a task runs after its rAF. */
function afterNextPaint(): Promise<void> {
  return new Promise((resolve) =>
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    }),
  );
}

let drawMs: number[] = [];
/** performance.now() at the end of each drawn frame: their gaps are the frame times. */
let drawnAt: number[] = [];
let setFocusFromBench: (focus: NodePath | null) => void = () => {};

function Harness({ flamebearer }: { flamebearer: FlameInput }): JSX.Element {
  const [focus, setFocus] = useState<NodePath | null>(null);
  setFocusFromBench = setFocus;
  return (
    <FlameGraph
      flamebearer={flamebearer}
      unit="nanoseconds"
      focus={focus}
      onFocus={setFocus}
      onFrameDrawn={(ms) => {
        drawMs.push(ms);
        drawnAt.push(performance.now());
      }}
    />
  );
}

// The app shell is up before a flame graph's data arrives: React is already running.
const root = createRoot(document.getElementById('root')!);
flushSync(() => root.render(<p>Waiting for the bench</p>));

const api: BenchApi = {
  async firstPaint(url) {
    const text = await (await fetch(url)).text();
    const parseStart = performance.now();
    const flamebearer = JSON.parse(text) as FlameInput;
    const parsed = performance.now();
    drawMs = [];
    flushSync(() => root.render(<Harness flamebearer={flamebearer} />));
    if (drawMs.length === 0) throw new Error('the flame graph drew nothing on mount');
    const firstDrawMs = drawMs[0]!;
    await afterNextPaint();
    return { parseMs: parsed - parseStart, firstPaintMs: performance.now() - parsed, firstDrawMs };
  },
  async zoom(paths) {
    const out = { drawMs: [] as number[], intervalMs: [] as number[] };
    for (const path of paths) {
      for (const focus of [path, null]) {
        await afterNextPaint();
        drawMs = [];
        drawnAt = [];
        flushSync(() => setFocusFromBench(focus));
        // The zoom animates over 150 ms; wait for it to end with room to spare.
        await new Promise((resolve) => setTimeout(resolve, 300));
        out.drawMs.push(...drawMs);
        for (let i = 1; i < drawnAt.length; i++) out.intervalMs.push(drawnAt[i]! - drawnAt[i - 1]!);
      }
    }
    return out;
  },
};

(window as unknown as BenchWindow).kilnBench = api;
