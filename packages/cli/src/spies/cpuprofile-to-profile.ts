import { fileURLToPath } from 'node:url';
import { ProfileBuilder, type Profile } from '@kiln/model';

/** A call frame of the Chrome DevTools Protocol's `Profiler.ProfileNode`. */
export interface CpuprofileCallFrame {
  readonly functionName: string;
  readonly scriptId: string;
  readonly url: string;
  /** 0-based line of the function's start; -1 for V8's own frames. */
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface CpuprofileNode {
  readonly id: number;
  readonly callFrame: CpuprofileCallFrame;
  readonly children?: readonly number[];
}

/** `Profiler.Profile`, what `Profiler.stop` returns and what a `.cpuprofile` file holds. */
export interface Cpuprofile {
  /** The root `(root)` node first. */
  readonly nodes: readonly CpuprofileNode[];
  /** Microseconds on V8's monotonic clock (not Unix time). */
  readonly startTime: number;
  readonly endTime: number;
  /** Node id of each sample's leaf. */
  readonly samples?: readonly number[];
  /** Microseconds from the previous sample (the first: from `startTime`). */
  readonly timeDeltas?: readonly number[];
}

export interface CpuprofileToProfileOptions {
  /** The sampling interval asked of V8, written as the profile's period. */
  readonly periodNs: number;
  /** Unix time the profile starts at. */
  readonly timeNs: number;
  /** The profiled process's working directory, shortened to `.` in names; '' when unknown. */
  readonly cwd: string;
}

/**
 * V8's synthetic frames: no script, and a name that must stay as it is. `(idle)` samples are
 * dropped (the thread was waiting in the event loop, not on a CPU); `(program)` (native code
 * outside JS) and `(garbage collector)` are CPU time and stay as frames.
 */
const ROOT_NAME = '(root)';
const IDLE_NAME = '(idle)';
const SYNTHETIC_NAMES: ReadonlySet<string> = new Set([ROOT_NAME, IDLE_NAME, '(program)', '(garbage collector)']);

/**
 * Converts a CPU profile of V8's inspector into a `cpu`/`nanoseconds` Profile, one sample per
 * stack with the time its samples stand for.
 *
 * Time per sample is as Chrome DevTools draws it: a sample lasts from its timestamp to the next
 * one's, the last one to `endTime`. Negative gaps (V8 occasionally reorders samples by a few µs)
 * count as 0.
 *
 * Function names are those of the official Pyroscope Node SDK (and of `kiln exec`'s agent):
 * `./file.js:name:line`, the file relative to the process's working directory and the line the
 * function starts on (1-based), so that `kiln connect` and `kiln exec` series look alike.
 *
 * @example
 *   const profile = cpuprofileToProfile(result.profile, { periodNs: 10_000_000, timeNs, cwd: '/srv/app' });
 */
export function cpuprofileToProfile(cpuprofile: Cpuprofile, options: CpuprofileToProfileOptions): Profile {
  const builder = new ProfileBuilder({
    sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }],
    periodType: { type: 'cpu', unit: 'nanoseconds' },
    period: options.periodNs,
    timeNs: options.timeNs,
    durationNs: Math.max(0, cpuprofile.endTime - cpuprofile.startTime) * 1000,
  });
  const nodes = new Map<number, CpuprofileNode>();
  const parents = new Map<number, number>();
  for (const node of cpuprofile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parents.set(child, node.id);
  }

  const timeByNodeNs = new Map<number, number>();
  const samples = cpuprofile.samples ?? [];
  const deltas = cpuprofile.timeDeltas ?? [];
  let timestampUs = cpuprofile.startTime + (deltas[0] ?? 0);
  for (let i = 0; i < samples.length; i++) {
    const nextUs = i + 1 < samples.length ? timestampUs + (deltas[i + 1] ?? 0) : cpuprofile.endTime;
    const durationNs = Math.max(0, nextUs - timestampUs) * 1000;
    timestampUs = nextUs;
    const id = samples[i]!;
    if (nodes.get(id)?.callFrame.functionName === IDLE_NAME) continue;
    timeByNodeNs.set(id, (timeByNodeNs.get(id) ?? 0) + durationNs);
  }

  const locationByNode = new Map<number, number>();
  const locationOf = (node: CpuprofileNode): number => {
    let location = locationByNode.get(node.id);
    if (location === undefined) {
      const frame = frameOf(node.callFrame, options.cwd);
      const fn = builder.addFunction(frame);
      location = builder.addLocation({ lines: [{ fn, line: frame.startLine }] });
      locationByNode.set(node.id, location);
    }
    return location;
  };
  for (const [id, valueNs] of timeByNodeNs) {
    if (valueNs === 0) continue;
    const stack: number[] = [];
    const seen = new Set<number>();
    // Leaf to root, leaving out `(root)`; `seen` guards against a malformed, cyclic tree.
    for (let nodeId: number | undefined = id; nodeId !== undefined && !seen.has(nodeId);) {
      seen.add(nodeId);
      const node = nodes.get(nodeId);
      const parentId = parents.get(nodeId);
      if (node === undefined || (parentId === undefined && node.callFrame.functionName === ROOT_NAME)) break;
      stack.push(locationOf(node));
      nodeId = parentId;
    }
    if (stack.length > 0) builder.addSample(stack, [valueNs]);
  }
  return builder.build();
}

interface Frame {
  name: string;
  systemName: string;
  filename: string;
  startLine: number;
}

function frameOf(callFrame: CpuprofileCallFrame, cwd: string): Frame {
  const { functionName, url } = callFrame;
  if (url === '' && SYNTHETIC_NAMES.has(functionName)) {
    return { name: functionName, systemName: functionName, filename: '', startLine: 0 };
  }
  const name = functionName === '' ? '(anonymous)' : functionName;
  const filename = relativeTo(cwd, pathOf(url));
  const startLine = callFrame.lineNumber >= 0 ? callFrame.lineNumber + 1 : 0;
  // As the SDK: a name that already has a `:` (a `Map.get:...`-style name) is kept.
  const qualified = name.includes(':') && !name.startsWith('(anonymous') ? name : `${filename}:${name}:${startLine}`;
  return { name: qualified, systemName: name, filename, startLine };
}

/**
 * The inspector reports CommonJS and ES modules alike as `file://` URLs; the SDK sees a CommonJS
 * module's plain path, so a path is what the name gets (for ES modules the SDK keeps the URL).
 */
function pathOf(url: string): string {
  if (!url.startsWith('file://')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function relativeTo(cwd: string, path: string): string {
  if (cwd === '' || cwd === '/') return path;
  return path.startsWith(`${cwd}/`) ? `.${path.slice(cwd.length)}` : path;
}
