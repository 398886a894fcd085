import { ProfileBuilder, type Profile, type ValueType } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { checkLimit, resolveLimits, type DecodeLimits, type ParseOptions } from './limits.js';
import { decodeUtf8 } from './utf8.js';

// Pyroscope's two binary bodies for `POST /ingest` (format=trie / format=tree, or the content
// types binary/octet-stream+trie / +tree) share one wire shape: a pre-order walk of a tree where
// every node is
//
//   uvarint length, that many bytes, uvarint value, uvarint child count
//
// followed by its children. They differ in what the bytes are:
//
// - trie (Pyroscope's transporttrie, what v0.x agents upload): the bytes are a fragment of a
//   whole stack string `a;b;c`. A node's key is the concatenation of the fragments from the
//   root, so a frame may be split across nodes, even inside a UTF-8 sequence; a node with a
//   value > 0 stands for the stack of its key.
// - tree (the "no-dict" tree): the bytes are one frame name. The first node is a synthetic
//   root with an empty name whose value Pyroscope ignores; its children are the real roots.
//
// Pyroscope re-splits every stack on `;` (Tree.Insert), so a tree node named `a;b` is two
// frames. We parse both formats as a trie whose tree fragments are `;` + name, which gives
// exactly that. Unlike Pyroscope, empty frames are dropped, as parseFolded drops them.
//
// Both formats compress shared prefixes, so a small body can stand for a huge profile: the
// stacks written out are counted against `maxStackBytes`, which bounds the memory and time a
// body costs whatever its shape. Claimed lengths and child counts are checked against the
// bytes left before anything is allocated for them.

export type PyroscopeTreeFormat = 'trie' | 'tree';

export interface ParsePyroscopeTreeOptions extends ParseOptions {
  /** The sample type of the values; default `samples/count`. */
  sampleType?: ValueType;
  periodType?: ValueType | null;
  period?: number;
  /**
   * Every value is multiplied by this; default 1. Pyroscope's ingest turns CPU and wall sample
   * counts into nanoseconds by multiplying by the period (`1e9 / sampleRate`).
   */
  multiplier?: number;
  /** Start of the profile, Unix nanoseconds. */
  timeNs?: number;
  durationNs?: number;
}

const DEFAULT_TYPE: ValueType = { type: 'samples', unit: 'count' };
const SEMICOLON = 0x3b;
/** The smallest node on the wire: three one-byte varints. */
const MIN_NODE_BYTES = 3;

/**
 * Parses Pyroscope's transport trie (`format=trie`, `Content-Type: binary/octet-stream+trie`),
 * the body v0.x agents (`pyroscope exec`, `connect`) upload. Every node is `uvarint length,
 * fragment, uvarint value, uvarint child count`, pre-order; a node's stack is the
 * concatenation of the fragments from the root (`a;b;c`, root first). An empty body is an
 * empty profile, as in Pyroscope.
 *
 * @example
 *   // Two stacks, `a;b` 1 and `a;c` 2: root, then `a;` with children `b` and `c`.
 *   parseTrie(Uint8Array.from([0, 0, 1, 2, 0x61, 0x3b, 0, 2, 1, 0x62, 1, 0, 1, 0x63, 2, 0]));
 */
export function parseTrie(bytes: Uint8Array, options: ParsePyroscopeTreeOptions = {}): Profile {
  return parseNodes(bytes, options, 'trie');
}

/**
 * Parses Pyroscope's "no-dict" tree (`format=tree`, `Content-Type: binary/octet-stream+tree`):
 * nodes of `uvarint name length, name, uvarint self, uvarint child count`, pre-order, the first
 * node an empty-named root whose children are the real roots.
 *
 * @example
 *   // a (self 0) with children b (self 1) and c (self 2), under the empty root.
 *   parseTree(Uint8Array.from([0, 0, 1, 1, 0x61, 0, 2, 1, 0x62, 1, 0, 1, 0x63, 2, 0]));
 */
export function parseTree(bytes: Uint8Array, options: ParsePyroscopeTreeOptions = {}): Profile {
  return parseNodes(bytes, options, 'tree');
}

function parseNodes(bytes: Uint8Array, options: ParsePyroscopeTreeOptions, format: PyroscopeTreeFormat): Profile {
  const limits = resolveLimits(options.limits);
  if (bytes.length > limits.maxDecompressedBytes) {
    checkLimit(limits, 'maxDecompressedBytes', bytes.length, `the ${format} body`);
  }
  const builder = new ProfileBuilder({
    sampleTypes: [options.sampleType ?? DEFAULT_TYPE],
    periodType: options.periodType ?? null,
    period: options.period ?? 0,
    timeNs: options.timeNs ?? 0,
    durationNs: options.durationNs ?? 0,
  });
  if (format === 'trie' && bytes.length === 0) return builder.build();
  const stacks = new StackBuilder(builder, limits, format, options.multiplier ?? 1);
  const reader = new NodeReader(bytes, format);
  const end = bytes.length;
  // The nodes whose children are being read, innermost last: how many children each has left,
  // and the stack state to go back to when it ends.
  const left: number[] = [];
  const savedKey: number[] = [];
  const savedFrames: number[] = [];
  const savedFrameStart: number[] = [];
  let depth = 0;
  // Nodes announced by child counts and not read yet: each needs at least MIN_NODE_BYTES.
  let pending = 1;
  while (pending > 0) {
    while (depth > 0 && left[depth - 1] === 0) {
      depth--;
      stacks.restore(savedKey[depth]!, savedFrames[depth]!, savedFrameStart[depth]!);
    }
    if (depth > 0) left[depth - 1]!--;
    pending--;
    const nodeAt = reader.pos;
    const length = reader.varint(format === 'trie' ? 'a fragment length' : 'a name length');
    if (format === 'tree' && length > limits.maxStringBytes) {
      checkLimit(limits, 'maxStringBytes', length, `the name at offset ${nodeAt}`);
    }
    if (length > end - reader.pos) {
      reader.truncated(`a ${length}-byte ${format === 'trie' ? 'fragment' : 'name'}`);
    }
    const nameStart = reader.pos;
    reader.pos += length;
    const value = reader.varint('a value');
    const childrenAt = reader.pos;
    const children = reader.varint('a child count');
    if (children > limits.maxSamples) {
      checkLimit(limits, 'maxSamples', children, `the node at offset ${nodeAt} (its child count)`);
    }
    pending += children;
    if (pending * MIN_NODE_BYTES > end - reader.pos) {
      throw formatError(
        FormatErrorCode.truncated,
        `${format} node at offset ${nodeAt} claims ${children} children at offset ${childrenAt}, but only ${end - reader.pos} bytes follow for ${pending} nodes`,
        { offset: childrenAt },
      );
    }
    const keyBefore = stacks.keyLength;
    const framesBefore = stacks.frames.length;
    const frameStartBefore = stacks.frameStart;
    if (format === 'trie') {
      stacks.append(bytes, nameStart, nameStart + length, nodeAt);
      if (value > 0) stacks.emit(value, nodeAt);
    } else if (nodeAt === 0) {
      // Pyroscope ignores the root's self value.
      if (length !== 0) {
        const name = decodeUtf8(bytes, nameStart, nameStart + Math.min(length, 40));
        throw formatError(
          FormatErrorCode.invalid,
          `a tree starts with an empty-named root, but the node at offset 0 is named "${name}"`,
          { offset: 0 },
        );
      }
    } else {
      if (depth > limits.maxStackDepth) {
        checkLimit(limits, 'maxStackDepth', depth, `the tree node at offset ${nodeAt}`);
      }
      stacks.appendSeparator(nodeAt);
      stacks.append(bytes, nameStart, nameStart + length, nodeAt);
      // Pyroscope drops the self of a node whose stack is empty (an empty name under the root).
      if (value > 0 && !stacks.isEmpty) stacks.emit(value, nodeAt);
    }
    if (children > 0) {
      left[depth] = children;
      savedKey[depth] = keyBefore;
      savedFrames[depth] = framesBefore;
      savedFrameStart[depth] = frameStartBefore;
      depth++;
    } else {
      stacks.restore(keyBefore, framesBefore, frameStartBefore);
    }
  }
  if (reader.pos < end) {
    throw formatError(
      FormatErrorCode.invalid,
      `the ${format} ends at offset ${reader.pos}, but ${end - reader.pos} more bytes follow`,
      { offset: reader.pos },
    );
  }
  return builder.build();
}

/** Reads the varints of a trie or tree; every error names the byte offset. */
class NodeReader {
  pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly format: PyroscopeTreeFormat,
  ) {}

  truncated(what: string): never {
    throw formatError(FormatErrorCode.truncated, `${this.format} ends inside ${what} at offset ${this.pos}`, {
      offset: this.pos,
    });
  }

  /** An unsigned LEB128 varint (Go's binary.Uvarint); values past 2^53 lose their low bits. */
  varint(what: string): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) {
        this.pos = start;
        this.truncated(what);
      }
      const b = this.buf[this.pos++]!;
      if (i === 9 && b > 1) {
        throw formatError(FormatErrorCode.invalid, `${this.format}: ${what} at offset ${start} overflows 64 bits`, {
          offset: start,
        });
      }
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw formatError(FormatErrorCode.invalid, `${this.format}: ${what} at offset ${start} is longer than 10 bytes`, {
      offset: start,
    });
  }
}

/**
 * The stack of the node being read: its key bytes, the locations of the frames complete so far
 * (root first) and where the last, unfinished frame starts. Frames are interned as the key
 * grows, so each byte of the body is scanned once however many stacks share it.
 */
class StackBuilder {
  private key = new Uint8Array(256);
  keyLength = 0;
  readonly frames: number[] = [];
  frameStart = 0;
  private readonly locations = new Map<string, number>();
  private readonly stack: number[] = [];
  private readonly value = [0];
  private stackBytes = 0;

  constructor(
    private readonly builder: ProfileBuilder,
    private readonly limits: DecodeLimits,
    private readonly format: PyroscopeTreeFormat,
    private readonly multiplier: number,
  ) {}

  restore(keyLength: number, frames: number, frameStart: number): void {
    this.keyLength = keyLength;
    this.frames.length = frames;
    this.frameStart = frameStart;
  }

  /** True when the stack has no frame at all. */
  get isEmpty(): boolean {
    return this.frames.length === 0 && this.keyLength === this.frameStart;
  }

  appendSeparator(nodeAt: number): void {
    this.ensure(1);
    this.key[this.keyLength++] = SEMICOLON;
    this.endFrame(this.keyLength - 1, nodeAt);
  }

  append(bytes: Uint8Array, from: number, to: number, nodeAt: number): void {
    if (to === from) return;
    this.ensure(to - from);
    const start = this.keyLength;
    this.key.set(bytes.subarray(from, to), start);
    this.keyLength += to - from;
    const added = this.key.subarray(0, this.keyLength);
    for (let i = added.indexOf(SEMICOLON, start); i !== -1; i = added.indexOf(SEMICOLON, i + 1)) {
      this.endFrame(i, nodeAt);
    }
    const open = this.keyLength - this.frameStart;
    if (open > this.limits.maxStringBytes) {
      checkLimit(this.limits, 'maxStringBytes', open, `the frame ending in the node at offset ${nodeAt}`);
    }
  }

  /** The key byte at `at` is a `;`: the frame before it, if not empty, is complete. */
  private endFrame(at: number, nodeAt: number): void {
    if (at > this.frameStart) {
      this.frames.push(this.location(this.frameStart, at, nodeAt));
      if (this.frames.length > this.limits.maxStackDepth) {
        checkLimit(this.limits, 'maxStackDepth', this.frames.length, `the stack of the node at offset ${nodeAt}`);
      }
    }
    this.frameStart = at + 1;
  }

  private location(from: number, to: number, nodeAt: number): number {
    if (to - from > this.limits.maxStringBytes) {
      checkLimit(this.limits, 'maxStringBytes', to - from, `a frame in the node at offset ${nodeAt}`);
    }
    const name = decodeUtf8(this.key, from, to);
    let loc = this.locations.get(name);
    if (loc === undefined) {
      loc = this.builder.addFrame(name);
      this.locations.set(name, loc);
      if (this.locations.size > this.limits.maxFunctions) {
        checkLimit(this.limits, 'maxFunctions', this.locations.size, `the node at offset ${nodeAt}`);
      }
    }
    return loc;
  }

  /** Adds a sample: the current stack with `value`. */
  emit(value: number, nodeAt: number): void {
    // The stack as a folded line (`a;b;c 42\n`, value digits not counted) is what is bounded.
    this.stackBytes += this.keyLength + 1;
    if (this.stackBytes > this.limits.maxStackBytes) {
      checkLimit(this.limits, 'maxStackBytes', this.stackBytes, `the ${this.format} by the node at offset ${nodeAt}`);
    }
    const stack = this.stack;
    stack.length = 0;
    if (this.keyLength > this.frameStart) stack.push(this.location(this.frameStart, this.keyLength, nodeAt));
    if (this.frames.length + stack.length > this.limits.maxStackDepth) {
      checkLimit(this.limits, 'maxStackDepth', this.frames.length + stack.length, `the node at offset ${nodeAt}`);
    }
    for (let i = this.frames.length - 1; i >= 0; i--) stack.push(this.frames[i]!);
    this.value[0] = value * this.multiplier;
    this.builder.addSample(stack, this.value);
    if (this.builder.sampleCount > this.limits.maxSamples) {
      checkLimit(this.limits, 'maxSamples', this.builder.sampleCount, `the node at offset ${nodeAt}`);
    }
  }

  private ensure(extra: number): void {
    if (this.keyLength + extra <= this.key.length) return;
    const next = new Uint8Array(Math.max(this.key.length * 2, this.keyLength + extra));
    next.set(this.key.subarray(0, this.keyLength));
    this.key = next;
  }
}
