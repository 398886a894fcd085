import { buildCallTree, type Profile } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { parseFolded } from './folded.js';

export interface SerializePyroscopeTreeOptions {
  /** Index into the profile's sample types; default the profile's default sample type. */
  sampleType?: number;
}

const encoder = new TextEncoder();
const TWO_64 = 18446744073709551616;

/**
 * Writes a Pyroscope transport trie (`format=trie`), the body v0.x agents upload, from a
 * profile's sample type or from folded text. The bytes are the ones Pyroscope's own
 * `transporttrie` writes for the same stacks: a radix trie over the stack strings, children in
 * byte order. Frame names lose `;` and line breaks (replaced by `_`), as in serializeFolded.
 *
 * @example
 *   serializeTrie('a;b 1\na;c 2\n'); // 00 00 01 | 02 "a;" 00 02 | 01 "b" 01 00 | 01 "c" 02 00
 */
export function serializeTrie(source: Profile | string, options: SerializePyroscopeTreeOptions = {}): Uint8Array {
  const entries = stackEntries(source, options, 'trie');
  const out = new ByteWriter();
  // Each task is a node: the keys [from, to) below it, which share key bytes [0, end), its
  // fragment being bytes [start, end) of them.
  const tasks: number[] = [0, entries.length, 0, 0];
  while (tasks.length > 0) {
    const end = tasks.pop()!;
    const start = tasks.pop()!;
    const to = tasks.pop()!;
    let from = tasks.pop()!;
    const first = entries[from];
    out.bytes(first ? first.key.subarray(start, end) : new Uint8Array(0));
    let value = 0;
    if (first && first.key.length === end) {
      value = first.value;
      from++;
    }
    out.varint(value);
    // Children: runs of keys with the same byte at `end`; each child's fragment runs to the
    // longest prefix its keys share (keys are sorted, so the first and last of a run decide).
    const children: number[] = [];
    for (let i = from; i < to;) {
      const b = entries[i]!.key[end]!;
      let j = i + 1;
      while (j < to && entries[j]!.key[end] === b) j++;
      children.push(i, j, end, end + commonPrefix(entries[i]!.key, entries[j - 1]!.key, end));
      i = j;
    }
    out.varint(children.length / 4);
    for (let c = children.length - 4; c >= 0; c -= 4) tasks.push(...children.slice(c, c + 4));
  }
  return out.finish();
}

/**
 * Writes Pyroscope's "no-dict" tree (`format=tree`) from a profile's sample type or from folded
 * text: an empty-named root, then the call tree pre-order, children in byte order of their
 * names, as Pyroscope's `SerializeTruncateNoDict` writes it. The value of an empty stack goes to
 * the root, which Pyroscope's parser ignores.
 *
 * @example
 *   serializeTree('a;b 1\na;c 2\n'); // 00 00 01 | 01 "a" 00 02 | 01 "b" 01 00 | 01 "c" 02 00
 */
export function serializeTree(source: Profile | string, options: SerializePyroscopeTreeOptions = {}): Uint8Array {
  interface Node {
    name: Uint8Array;
    self: number;
    children: Map<string, Node>;
  }
  const root: Node = { name: new Uint8Array(0), self: 0, children: new Map() };
  for (const { text, value } of stackEntries(source, options, 'tree')) {
    let node = root;
    // As Pyroscope's Tree.Insert: `;` separates frames, a trailing `;` adds none, and an empty
    // key is the root itself.
    const frames = text === '' ? [] : text.split(';');
    if (frames.length > 1 && frames[frames.length - 1] === '') frames.pop();
    for (const frame of frames) {
      let child = node.children.get(frame);
      if (child === undefined) {
        child = { name: encoder.encode(frame), self: 0, children: new Map() };
        node.children.set(frame, child);
      }
      node = child;
    }
    node.self += value;
  }
  const out = new ByteWriter();
  const todo: Node[] = [root];
  while (todo.length > 0) {
    const node = todo.pop()!;
    out.bytes(node.name);
    out.varint(node.self);
    const children = [...node.children.values()].sort((a, b) => compareBytes(a.name, b.name));
    out.varint(children.length);
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
  }
  return out.finish();
}

interface StackEntry {
  /** The stack as folded text, root first: `a;b;c`. */
  text: string;
  key: Uint8Array;
  value: number;
}

/** Distinct stacks with their values, sorted by the bytes of their UTF-8 text. */
function stackEntries(
  source: Profile | string,
  options: SerializePyroscopeTreeOptions,
  format: 'trie' | 'tree',
): StackEntry[] {
  let profile: Profile | null;
  if (typeof source === 'string') {
    const bytes = encoder.encode(source);
    profile = parseFolded(bytes);
    if (profile === null) {
      if (source.trim() === '') return [];
      throw formatError(FormatErrorCode.invalid, `serialize${format === 'trie' ? 'Trie' : 'Tree'}: not folded stacks`);
    }
  } else {
    profile = source;
  }
  const tree = buildCallTree(profile, { sampleType: options.sampleType ?? profile.defaultSampleType });
  const names = tree.names.map((n) => n.replace(/[;\r\n]/g, '_'));
  const values = new Map<string, number>();
  const path: string[] = [];
  // Pre-order over the call tree; a parent's index is lower than its children's.
  const depth = new Int32Array(tree.size);
  for (let node = 0; node < tree.size; node++) {
    if (node > 0) {
      depth[node] = depth[tree.parent[node]!]! + 1;
    }
  }
  const walk: number[] = [0];
  while (walk.length > 0) {
    const node = walk.pop()!;
    const d = depth[node]!;
    if (node > 0) path[d - 1] = names[tree.nameId[node]!]!;
    const self = tree.self[node]!;
    if (self !== 0) {
      const text = path.slice(0, d).join(';');
      values.set(text, (values.get(text) ?? 0) + self);
    }
    const children = tree.children(node);
    for (let i = children.length - 1; i >= 0; i--) walk.push(children[i]!);
  }
  const entries: StackEntry[] = [];
  for (const [text, value] of values) {
    if (!(Number.isInteger(value) && value >= 0 && value < TWO_64)) {
      throw formatError(
        FormatErrorCode.unsupported,
        `a ${format} holds unsigned integers, but the stack "${text.slice(0, 80)}" has the value ${value}`,
      );
    }
    entries.push({ text, key: encoder.encode(text), value });
  }
  return entries.sort((a, b) => compareBytes(a.key, b.key));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Length of the common prefix of `a` and `b` from byte `from` on. */
function commonPrefix(a: Uint8Array, b: Uint8Array, from: number): number {
  const n = Math.min(a.length, b.length);
  let i = from;
  while (i < n && a[i] === b[i]) i++;
  return i - from;
}

/** Unsigned varints (Go's binary.PutUvarint) and length-prefixed bytes. */
class ByteWriter {
  private buf = new Uint8Array(4096);
  private length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** `value` is an integer in [0, 2^64); dividing by 128 is exact in float64. */
  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
