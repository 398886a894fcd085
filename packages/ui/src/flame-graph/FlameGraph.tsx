import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type JSX,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { createNameColors } from './colors.js';
import {
  decodeFlameData,
  findByPath,
  heaviestChild,
  nodeName,
  parentOf,
  pathOf,
  type FlameData,
  type NodeRef,
} from './flame-data.js';
import flameGraphCss from './flame-graph.css?inline';
import { FlameMenu } from './FlameMenu.js';
import { FlameTooltip } from './FlameTooltip.js';
import {
  createFlameLayout,
  hitTest,
  layoutFlame,
  nodeBox,
  viewportOf,
  type FlameHit,
  type FlameLayout,
  type FlameViewport,
} from './layout.js';
import { createFlameRenderer, readFlameTheme, type FlameRenderer, type FlameTheme } from './render.js';
import { buildSearchMask } from './search.js';
import { ROW_HEIGHT_PX, type FlameGraphProps } from './types.js';

/** Focus changes animate over this long: long enough to follow, short enough not to wait for. */
const ZOOM_MS = 150;
const TOOLTIP_OFFSET_PX = 14;

/** Mutable drawing state, outside React: an animation frame must not re-render the tree. */
interface Painter {
  data: FlameData | null;
  /** What is on the canvas now (mid-animation, between two focuses). */
  viewport: FlameViewport | null;
  targetKey: string;
  layout: FlameLayout;
  renderer: FlameRenderer;
  raf: number;
  theme: FlameTheme | null;
}

/** Where a tooltip or menu points, in px from the wrapper's top-left corner. */
interface Anchor {
  hit: FlameHit;
  x: number;
  y: number;
}

/**
 * Pyroscope's flame graph on a canvas: root at the top (bottom when inverted), 18 px rows, x
 * from 0 to the canvas' CSS width, so a node at value x sits at
 * (x − viewStart) / viewWidth × canvasWidth. Focus is controlled by the parent (`focus`,
 * `onFocus`); the graph animates between focuses.
 */
export function FlameGraph(props: FlameGraphProps): JSX.Element {
  const { flamebearer, diff = false, unit, focus, onFocus, search = '', scaleTotal, inverted = false } = props;
  const { onSandwich, testId = 'flame-graph' } = props;
  const data = useMemo(() => decodeFlameData(flamebearer, diff), [flamebearer, diff]);
  const colors = useMemo(() => createNameColors(data.names), [data]);
  const mask = useMemo(() => buildSearchMask(data, search), [data, search]);
  const focusNode = useMemo(() => (focus === null ? null : findByPath(data, focus)), [data, focus]);
  const focusPath = useMemo(
    () => (focusNode === null ? [] : pathOf(data, focusNode.level, focusNode.index)),
    [data, focusNode],
  );
  const target = viewportOf(data, focusNode, scaleTotal);
  const targetKey = `${target.start}/${target.width}/${target.focusLevel}`;

  const wrapperRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const painter = useRef<Painter>({
    data: null,
    viewport: null,
    targetKey: '',
    layout: createFlameLayout(),
    renderer: createFlameRenderer(),
    raf: 0,
    theme: null,
  });
  const onFrameDrawn = useRef(props.onFrameDrawn);
  onFrameDrawn.current = props.onFrameDrawn;

  const [widthPx, setWidthPx] = useState(0);
  const [themeVersion, setThemeVersion] = useState(0);
  const [selection, setSelection] = useState<{ data: FlameData; node: NodeRef } | null>(null);
  const selected = selection !== null && selection.data === data ? selection.node : null;
  const [hover, setHover] = useState<Anchor | null>(null);
  const [keyboardTip, setKeyboardTip] = useState(false);
  const [menu, setMenu] = useState<Anchor | null>(null);

  // Measured before the first paint, so the first frame the browser shows has the graph in it.
  useLayoutEffect(() => {
    const wrapper = wrapperRef.current!;
    // Whole px, rounded down: clientWidth rounds to nearest, which can overhang the wrapper.
    const measure = (): void => setWidthPx(Math.floor(wrapper.getBoundingClientRect().width));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(wrapper);
    return () => observer.disconnect();
  }, []);

  // The theme lives in CSS custom properties, switched by a data-theme attribute anywhere above.
  useEffect(() => {
    const observer = new MutationObserver(() => setThemeVersion((v) => v + 1));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'], subtree: true });
    return () => observer.disconnect();
  }, []);

  const drawFrame = useCallback(
    (viewport: FlameViewport) => {
      const canvas = canvasRef.current;
      const wrapper = wrapperRef.current;
      const ctx = canvas?.getContext('2d');
      if (canvas == null || wrapper === null || ctx == null || widthPx <= 0) return;
      const started = performance.now();
      const p = painter.current;
      p.theme ??= readFlameTheme(wrapper);
      const pixelRatio = window.devicePixelRatio || 1;
      const width = Math.round(widthPx * pixelRatio);
      const height = Math.max(1, Math.round(data.levels.length * ROW_HEIGHT_PX * pixelRatio));
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
      p.layout = layoutFlame(data, viewport, { widthPx, inverted }, p.layout);
      p.renderer.render(ctx, data, p.layout, { theme: p.theme, colors, search: mask, selected, pixelRatio });
      onFrameDrawn.current?.(performance.now() - started);
    },
    [data, colors, mask, selected, inverted, widthPx],
  );
  const drawFrameRef = useRef(drawFrame);
  drawFrameRef.current = drawFrame;

  useLayoutEffect(() => {
    painter.current.theme = null;
  }, [themeVersion]);

  useLayoutEffect(() => {
    const p = painter.current;
    const retarget = p.targetKey !== targetKey;
    p.targetKey = targetKey;
    if (p.viewport === null || p.data !== data) {
      cancelAnimationFrame(p.raf);
      p.raf = 0;
      p.data = data;
      p.viewport = target;
      drawFrame(target);
    } else if (retarget) {
      animate(p, p.viewport, target, (viewport) => drawFrameRef.current(viewport));
    } else if (p.raf === 0) {
      drawFrame(p.viewport);
    }
    // `target` is a new object each render; `targetKey` stands for its value.
  }, [drawFrame, targetKey, data, themeVersion]);

  useEffect(() => () => cancelAnimationFrame(painter.current.raf), []);

  const pointAt = (e: MouseEvent): { hit: FlameHit | null; x: number; y: number } => {
    const canvas = canvasRef.current!;
    const rect = canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    return { hit: hitTest(data, painter.current.layout, x, y), x, y: y + canvas.offsetTop };
  };

  const focusOn = (node: NodeRef): void => {
    onFocus(node.level === 0 ? null : pathOf(data, node.level, node.index));
  };

  const select = (node: NodeRef): void => {
    setSelection({ data, node });
    setKeyboardTip(true);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>): void => {
    if (data.levels.length === 0 || e.ctrlKey || e.metaKey || e.altKey) return;
    const current = selected ?? focusNode ?? { level: 0, index: 0 };
    // With nothing selected yet, arrows start from the focused node (the root when unfocused).
    const step = (next: NodeRef | null): void => {
      e.preventDefault();
      select(next ?? current);
    };
    // Arrows move on screen: in an inverted graph a node's parent is below it.
    switch (e.key) {
      case 'ArrowUp':
        return step(inverted ? heaviestChild(data, current) : parentOf(data, current));
      case 'ArrowDown':
        return step(inverted ? parentOf(data, current) : heaviestChild(data, current));
      case 'ArrowLeft':
        return step(neighbour(data, current, -1, painter.current.viewport ?? target));
      case 'ArrowRight':
        return step(neighbour(data, current, 1, painter.current.viewport ?? target));
      case 'Enter':
        e.preventDefault();
        return focusOn(current);
      case 'Escape':
        return onFocus(null);
      case 's':
      case 'S':
        if (current.level > 0) onSandwich?.(nodeName(data, current));
        return;
    }
  };

  /** The keyboard-selected node's tooltip sits just below its bar. */
  const selectedAnchor = (): Anchor | null => {
    if (selected === null) return null;
    const box = nodeBox(data, painter.current.layout, selected);
    if (box === null) return null;
    const hit = { ...selected, nodes: 1, total: data.levels[selected.level]!.total[selected.index]! };
    const canvasTop = canvasRef.current?.offsetTop ?? 0;
    return { hit, x: box.x + Math.min(box.width / 2, 40), y: canvasTop + box.y + ROW_HEIGHT_PX - TOOLTIP_OFFSET_PX };
  };
  const tooltip = menu !== null ? null : (hover ?? (keyboardTip ? selectedAnchor() : null));

  return (
    <div ref={wrapperRef} className="kiln-flame" data-testid={testId}>
      <style href="kiln-flame-graph" precedence="default">
        {flameGraphCss}
      </style>
      <nav className="kiln-flame-breadcrumb" data-testid="flame-breadcrumb" aria-label="Focus path">
        <button
          type="button"
          aria-current={focusPath.length === 0 ? 'location' : undefined}
          onClick={() => onFocus(null)}
        >
          total
        </button>
        {focusPath.map((name, k) => (
          <button
            key={k}
            type="button"
            title={name}
            aria-current={k === focusPath.length - 1 ? 'location' : undefined}
            onClick={() => onFocus(focusPath.slice(0, k + 1))}
          >
            {name}
          </button>
        ))}
      </nav>
      <canvas
        ref={canvasRef}
        className="kiln-flame-canvas"
        style={{ width: widthPx, height: data.levels.length * ROW_HEIGHT_PX }}
        tabIndex={0}
        aria-label="Flame graph. Arrow keys select a node, Enter focuses it, Escape resets the focus, S opens its sandwich view."
        onMouseMove={(e) => {
          const { hit, x, y } = pointAt(e);
          setHover(hit === null ? null : { hit, x, y });
          setKeyboardTip(false);
        }}
        onMouseLeave={() => setHover(null)}
        onBlur={() => setKeyboardTip(false)}
        onClick={(e) => {
          const { hit } = pointAt(e);
          if (hit === null || hit.nodes > 1) return;
          setSelection({ data, node: { level: hit.level, index: hit.index } });
          // The bar under the pointer changes as the graph zooms: no tooltip until it moves.
          setHover(null);
          focusOn(hit);
        }}
        onContextMenu={(e) => {
          e.preventDefault();
          const { hit, x, y } = pointAt(e);
          if (hit !== null && hit.nodes === 1) setMenu({ hit, x, y });
        }}
        onKeyDown={onKeyDown}
      />
      {tooltip !== null && (
        <FlameTooltip data={data} hit={tooltip.hit} unit={unit} style={place(tooltip, widthPx, TOOLTIP_OFFSET_PX)} />
      )}
      {menu !== null && (
        <FlameMenu
          name={nodeName(data, menu.hit)}
          isRoot={menu.hit.level === 0}
          style={place(menu, widthPx, 2)}
          onFocus={() => focusOn(menu.hit)}
          onSandwich={onSandwich === undefined ? undefined : () => onSandwich(nodeName(data, menu.hit))}
          onClose={() => {
            setMenu(null);
            canvasRef.current?.focus();
          }}
        />
      )}
    </div>
  );
}

/** Beside the anchor, on its left when it is in the right half, so it stays on screen. */
function place(anchor: Anchor, widthPx: number, offsetPx: number): { left: number; top: number; transform?: string } {
  const left = anchor.x > widthPx / 2;
  return {
    left: left ? anchor.x - offsetPx : anchor.x + offsetPx,
    top: anchor.y + offsetPx,
    transform: left ? 'translateX(-100%)' : undefined,
  };
}

/** The next node on the same level that is on screen (focused levels only: ancestors have none). */
function neighbour(data: FlameData, node: NodeRef, direction: 1 | -1, viewport: FlameViewport): NodeRef | null {
  if (node.level < viewport.focusLevel) return null;
  const level = data.levels[node.level]!;
  const index = node.index + direction;
  if (index < 0 || index >= level.size) return null;
  const end = viewport.start + viewport.width;
  if (level.x[index]! >= end || level.x[index]! + level.total[index]! <= viewport.start) return null;
  return { level: node.level, index };
}

/** Moves the painter's viewport from `from` to `to`, drawing each animation frame. */
function animate(p: Painter, from: FlameViewport, to: FlameViewport, draw: (viewport: FlameViewport) => void): void {
  cancelAnimationFrame(p.raf);
  const started = performance.now();
  const frame = (now: number): void => {
    const t = Math.min(1, (now - started) / ZOOM_MS);
    p.viewport = t === 1 ? to : interpolate(from, to, 1 - Math.pow(1 - t, 3));
    p.raf = t === 1 ? 0 : requestAnimationFrame(frame);
    draw(p.viewport);
  };
  p.raf = requestAnimationFrame(frame);
}

/**
 * Width moves geometrically, so a 10,000× zoom spends as long on each factor of ten and does
 * not sit zoomed out until the last frames; the left edge follows so that the target range's
 * edges move monotonically.
 */
function interpolate(from: FlameViewport, to: FlameViewport, e: number): FlameViewport {
  const width = Math.exp(Math.log(from.width) + (Math.log(to.width) - Math.log(from.width)) * e);
  const along = from.width === to.width ? e : (from.width - width) / (from.width - to.width);
  return { start: from.start + (to.start - from.start) * along, width, focusLevel: to.focusLevel };
}
