import { ProfileBuilder, type Label, type Profile, type ValueType } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { utf8ByteLength } from './utf8.js';
import { checkLimit, resolveLimits, type DecodeLimits, type ParseOptions } from './limits.js';
import { bytesToText } from './text.js';

const SCHEMA_URL = 'https://www.speedscope.app/file-format-schema.json';

/** The JSON shapes of https://www.speedscope.app/file-format-schema.json that Kiln writes. */
interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

interface SampledProfile {
  type: 'sampled';
  name: string;
  unit: SpeedscopeUnit;
  startValue: number;
  endValue: number;
  /** Frame indices, root first. */
  samples: number[][];
  weights: number[];
}

type SpeedscopeUnit = keyof typeof UNITS;

const WALL: ValueType = { type: 'wall', unit: 'nanoseconds' };
/**
 * How each speedscope unit becomes a Kiln sample type, and the factor to its unit. Time is
 * `wall`: speedscope files come from tracers and wall-clock samplers far more often than
 * from CPU-time profilers, and the file does not say which.
 */
const UNITS = {
  none: { type: { type: 'samples', unit: 'count' }, scale: 1 },
  nanoseconds: { type: WALL, scale: 1 },
  microseconds: { type: WALL, scale: 1e3 },
  milliseconds: { type: WALL, scale: 1e6 },
  seconds: { type: WALL, scale: 1e9 },
  bytes: { type: { type: 'space', unit: 'bytes' }, scale: 1 },
} as const satisfies Record<string, { type: ValueType; scale: number }>;

/**
 * True when the bytes are a JSON object that names speedscope's schema, or has `shared` and
 * `profiles` keys within its first 64 KiB (the schema requires `$schema`, but hand-written
 * files forget it). Pyroscope's flamebearer JSON and Chrome's .cpuprofile have neither.
 */
export function isSpeedscope(bytes: Uint8Array): boolean {
  const head = bytesToText(bytes.subarray(0, Math.min(bytes.length, 65_536))).trimStart();
  if (!head.startsWith('{')) return false;
  if (head.includes(`"${SCHEMA_URL}"`)) return true;
  return /"shared"\s*:/.test(head) && /"profiles"\s*:/.test(head) && !/"(flamebearer|nodes|timeDeltas)"\s*:/.test(head);
}

/**
 * Parses a speedscope JSON file. Every profile in it (usually one per thread) becomes samples
 * of one Kiln profile, labelled `thread` = the profile's name when there are several.
 * "sampled" profiles keep their stacks and weights; "evented" ones become one sample per
 * distinct stack, weighted by the time it was open (the span between consecutive events).
 * Identical stacks of one profile are added up.
 *
 * Sample types by unit: time units -> `wall/nanoseconds` (converted), `bytes` -> `space/bytes`,
 * `none` -> `samples/count`; profiles with different units give one sample type each, and the
 * default is that of `activeProfileIndex`. Frame `line` is kept as the function's start line;
 * `col` is dropped (the model has no columns). `durationNs` is the longest profile's
 * `endValue - startValue` when it is a time; `timeNs` stays 0, the file has no wall clock.
 *
 * @example
 *   const json = '{"$schema":"https://www.speedscope.app/file-format-schema.json",' +
 *     '"shared":{"frames":[{"name":"main"}]},"profiles":[{"type":"sampled","name":"t",' +
 *     '"unit":"milliseconds","startValue":0,"endValue":2,"samples":[[0]],"weights":[2]}]}';
 *   parseSpeedscope(new TextEncoder().encode(json)); // main 2000000 ns of wall
 */
export function parseSpeedscope(bytes: Uint8Array, options: ParseOptions = {}): Profile | null {
  if (!isSpeedscope(bytes)) return null;
  const text = bytesToText(bytes);
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = Number(/position (\d+)/.exec(message)?.[1] ?? -1);
    const cut = /end of JSON|Unterminated/.test(message) || at >= text.trimEnd().length;
    throw formatError(
      cut ? FormatErrorCode.truncated : FormatErrorCode.invalid,
      `speedscope file is not valid JSON: ${message}`,
      { position: at },
    );
  }
  if (!isObject(file)) return null;
  const frames = isObject(file['shared']) ? file['shared']['frames'] : undefined;
  const profiles = file['profiles'];
  if (file['$schema'] !== SCHEMA_URL && (!Array.isArray(frames) || !Array.isArray(profiles))) return null;
  if (!Array.isArray(frames)) throw invalid('shared.frames is not an array');
  if (!Array.isArray(profiles)) throw invalid('profiles is not an array');
  return new SpeedscopeReader(resolveLimits(options.limits), frames, profiles, file['activeProfileIndex']).read();
}

class SpeedscopeReader {
  private readonly builder: ProfileBuilder;
  /** The sample type of each profile. */
  private readonly kinds: number[];
  private readonly typeCount: number;
  private readonly locations: Int32Array;
  /**
   * A trie of stacks of locations, so that a stack is one node id whatever its depth. Frames
   * that only differ in `col` share a location, and so their stacks add up.
   */
  private readonly nodeParent: number[] = [-1];
  private readonly nodeLocation: number[] = [-1];
  private readonly nodeIndex = new Map<number, number>();
  private samplesRead = 0;

  constructor(
    private readonly limits: DecodeLimits,
    private readonly frames: unknown[],
    private readonly profiles: unknown[],
    active: unknown,
  ) {
    checkLimit(limits, 'maxFunctions', frames.length, 'shared.frames');
    checkLimit(limits, 'maxLocations', frames.length, 'shared.frames');
    const types: ValueType[] = [];
    this.kinds = profiles.map((p, i) => {
      if (!isObject(p)) throw invalid(`profiles[${i}] is not an object`);
      const unit = p['unit'];
      if (typeof unit !== 'string' || !Object.hasOwn(UNITS, unit)) {
        throw invalid(`profiles[${i}].unit is ${JSON.stringify(unit)}, not one of ${Object.keys(UNITS).join(', ')}`);
      }
      const type = UNITS[unit as SpeedscopeUnit].type;
      const kind = types.indexOf(type);
      return kind === -1 ? types.push(type) - 1 : kind;
    });
    this.typeCount = Math.max(1, types.length);
    const activeIndex = typeof active === 'number' && this.kinds[active] !== undefined ? active : 0;
    this.builder = new ProfileBuilder({
      sampleTypes: types.length > 0 ? types : [UNITS.none.type],
      defaultSampleType: this.kinds[activeIndex] ?? 0,
      durationNs: this.durationNs(),
    });
    this.locations = new Int32Array(frames.length).fill(-1);
  }

  read(): Profile {
    const threaded = this.profiles.length > 1;
    this.profiles.forEach((value, p) => {
      const profile = value as Record<string, unknown>;
      const name = typeof profile['name'] === 'string' ? profile['name'] : `profile ${p}`;
      checkLimit(this.limits, 'maxStringBytes', utf8ByteLength(name), `profiles[${p}].name`);
      const weights = new Map<number, number>();
      const scale = UNITS[profile['unit'] as SpeedscopeUnit].scale;
      if (profile['type'] === 'sampled') this.readSampled(profile, p, scale, weights);
      else if (profile['type'] === 'evented') this.readEvented(profile, p, scale, weights);
      else throw invalid(`profiles[${p}].type is ${JSON.stringify(profile['type'])}, not "sampled" or "evented"`);
      const labels: Label[] = threaded ? [{ key: 'thread', str: name }] : [];
      const values = new Float64Array(this.typeCount);
      for (const [node, weight] of weights) {
        values.fill(0);
        values[this.kinds[p]!] = weight;
        this.builder.addSample(this.stackOf(node), values, labels);
      }
    });
    return this.builder.build();
  }

  private readSampled(profile: Record<string, unknown>, p: number, scale: number, out: Map<number, number>): void {
    const samples = profile['samples'];
    const weights = profile['weights'];
    if (!Array.isArray(samples)) throw invalid(`profiles[${p}].samples is not an array`);
    if (!Array.isArray(weights) || weights.length !== samples.length) {
      throw invalid(`profiles[${p}].weights is not an array as long as samples (${samples.length})`);
    }
    this.countSamples(samples.length, `profiles[${p}]`);
    for (let s = 0; s < samples.length; s++) {
      const stack = samples[s];
      const where = `profiles[${p}].samples[${s}]`;
      if (!Array.isArray(stack)) throw invalid(`${where} is not an array`);
      checkLimit(this.limits, 'maxStackDepth', stack.length, where);
      let node = 0;
      for (let i = 0; i < stack.length; i++) node = this.child(node, this.frame(stack[i], `${where}[${i}]`));
      const weight = weights[s];
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw invalid(`profiles[${p}].weights[${s}] is ${JSON.stringify(weight)}, not a number >= 0`);
      }
      out.set(node, (out.get(node) ?? 0) + (scale === 1 ? weight : Math.round(weight * scale)));
    }
  }

  /**
   * Replays open/close events on a stack. Events must nest: a close names the frame on top.
   * Times are scaled to integers before subtracting so that the spans add up exactly.
   */
  private readEvented(profile: Record<string, unknown>, p: number, scale: number, out: Map<number, number>): void {
    const events = profile['events'];
    if (!Array.isArray(events)) throw invalid(`profiles[${p}].events is not an array`);
    // An open and its close make at most one sample.
    this.countSamples(Math.ceil(events.length / 2), `profiles[${p}]`);
    const open: number[] = [];
    let node = 0;
    let lastAt = -Infinity;
    for (let e = 0; e < events.length; e++) {
      const event = events[e];
      const where = `profiles[${p}].events[${e}]`;
      if (!isObject(event)) throw invalid(`${where} is not an object`);
      const rawAt = event['at'];
      if (typeof rawAt !== 'number' || !Number.isFinite(rawAt)) throw invalid(`${where}.at is not a number`);
      const at = scale === 1 ? rawAt : Math.round(rawAt * scale);
      if (at < lastAt) throw invalid(`${where}.at is ${rawAt}, before the event ahead of it`, p, e);
      if (node !== 0 && at > lastAt) out.set(node, (out.get(node) ?? 0) + (at - lastAt));
      lastAt = at;
      const frame = this.frame(event['frame'], `${where}.frame`);
      if (event['type'] === 'O') {
        open.push(frame);
        checkLimit(this.limits, 'maxStackDepth', open.length, where);
        node = this.child(node, frame);
      } else if (event['type'] === 'C') {
        const top = open.pop();
        if (top !== frame) {
          const onTop = top === undefined ? 'no frame is open' : `frame ${top} (${this.frameName(top)}) is on top`;
          throw invalid(`${where} closes frame ${frame} (${this.frameName(frame)}) but ${onTop}`, p, e);
        }
        node = this.nodeParent[node]!;
      } else {
        throw invalid(`${where}.type is ${JSON.stringify(event['type'])}, not "O" or "C"`, p, e);
      }
    }
    if (open.length > 0) {
      throw invalid(
        `profiles[${p}] ends with ${open.length} frames still open, innermost ${this.frameName(open.at(-1)!)}`,
      );
    }
  }

  private countSamples(count: number, where: string): void {
    this.samplesRead += count;
    checkLimit(this.limits, 'maxSamples', this.samplesRead, where);
  }

  private frame(index: unknown, where: string): number {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= this.frames.length) {
      throw invalid(`${where} is ${JSON.stringify(index)}, not an index into shared.frames (${this.frames.length})`);
    }
    return index;
  }

  private frameName(index: number): string {
    const f = this.frames[index];
    return JSON.stringify(isObject(f) ? f['name'] : undefined);
  }

  private child(parent: number, frame: number): number {
    const location = this.location(frame);
    // Locations never outnumber frames, so the key is unique and stays below 2^53.
    const key = parent * this.frames.length + location;
    let node = this.nodeIndex.get(key);
    if (node === undefined) {
      node = this.nodeParent.length;
      this.nodeParent.push(parent);
      this.nodeLocation.push(location);
      this.nodeIndex.set(key, node);
    }
    return node;
  }

  /** The Kiln stack of a trie node: locations from the leaf to the root. */
  private stackOf(node: number): number[] {
    const stack: number[] = [];
    for (let n = node; n > 0; n = this.nodeParent[n]!) stack.push(this.nodeLocation[n]!);
    return stack;
  }

  private location(frame: number): number {
    let loc = this.locations[frame]!;
    if (loc !== -1) return loc;
    const where = `shared.frames[${frame}]`;
    const f = this.frames[frame];
    if (!isObject(f) || typeof f['name'] !== 'string') throw invalid(`${where}.name is not a string`);
    const file = f['file'] ?? '';
    const line = f['line'] ?? 0;
    if (typeof file !== 'string') throw invalid(`${where}.file is not a string`);
    if (typeof line !== 'number' || !Number.isFinite(line)) throw invalid(`${where}.line is not a number`);
    checkLimit(this.limits, 'maxStringBytes', utf8ByteLength(f['name']), `${where}.name`);
    checkLimit(this.limits, 'maxStringBytes', utf8ByteLength(file), `${where}.file`);
    // Chrome's convention for a function without a name; '' would show as an address.
    const fn = this.builder.addFunction({ name: f['name'] || '(anonymous)', filename: file, startLine: line });
    loc = this.builder.addLocation({ lines: [{ fn, line }] });
    this.locations[frame] = loc;
    return loc;
  }

  private durationNs(): number {
    let longest = 0;
    for (const p of this.profiles as Record<string, unknown>[]) {
      const unit = UNITS[p['unit'] as SpeedscopeUnit];
      const span = Number(p['endValue']) - Number(p['startValue']);
      if (unit.type === WALL && Number.isFinite(span)) longest = Math.max(longest, Math.round(span * unit.scale));
    }
    return longest;
  }
}

export interface SerializeSpeedscopeOptions {
  /** Index into the profile's sample types; default the profile's default sample type. */
  sampleType?: number;
  /** The file's name, shown in speedscope's title bar; default `kiln`. */
  name?: string;
}

/**
 * Writes one sample type of a profile as a speedscope file of "sampled" profiles: one per
 * value of the `thread` label (what parseSpeedscope makes of several profiles), else one.
 * speedscope lists the profiles of a file as alternatives of one recording, which suits
 * threads, not sample types of different units; pass `sampleType` to export another type.
 * Frames are functions (name, file, start line), inlined functions become frames of their
 * own, samples keep their order (speedscope's time-order view), samples with value 0 are left
 * out, and other labels are dropped. Units: nanoseconds, microseconds, milliseconds, seconds
 * and bytes carry over, anything else is `none`; the type's name does not (cpu comes back as
 * wall). `endValue` is the profile's duration or the total weight, whichever is larger.
 *
 * @example
 *   const json = serializeSpeedscope(profile, { name: 'checkout-service cpu' });
 *   writeFileSync('cpu.speedscope.json', json); // open it at https://www.speedscope.app
 */
export function serializeSpeedscope(profile: Profile, options: SerializeSpeedscopeOptions = {}): string {
  const t = options.sampleType ?? profile.defaultSampleType;
  const valueType = profile.sampleTypes[t];
  if (valueType === undefined) {
    throw formatError(FormatErrorCode.unsupported, `sample type ${t} is not in this profile`, { sampleType: t });
  }
  const unit = Object.hasOwn(UNITS, valueType.unit) ? (valueType.unit as SpeedscopeUnit) : 'none';
  const frames: SpeedscopeFrame[] = [];
  const frameIndex = new Map<string, number>();
  const { functions: fns, locations: locs, strings } = profile;
  const frameOf = (name: string, file: string, line: number): number => {
    const key = `${name}\u0000${file}\u0000${line}`;
    let i = frameIndex.get(key);
    if (i === undefined) {
      i = frames.push({ name, ...(file === '' ? {} : { file }), ...(line === 0 ? {} : { line }) }) - 1;
      frameIndex.set(key, i);
    }
    return i;
  };
  // Each location's frames, outermost (caller) first, as speedscope stacks run from the root.
  const locationFrames: number[][] = [];
  for (let l = 0; l < locs.length; l++) {
    const out: number[] = [];
    const from = locs.lineStart[l]!;
    const to = locs.lineStart[l + 1]!;
    // As buildCallTree does: a location without a function name is named by its address.
    const address = `0x${locs.address[l]!.toString(16)}`;
    if (from === to) out.push(frameOf(address, '', 0));
    for (let i = to - 1; i >= from; i--) {
      const fn = locs.lineFunction[i]!;
      const name = strings[fns.name[fn]!] || strings[fns.systemName[fn]!] || address;
      out.push(frameOf(name, strings[fns.filename[fn]!]!, fns.startLine[fn]!));
    }
    locationFrames.push(out);
  }
  const threads = new Map<string, SampledProfile>();
  const { samples } = profile;
  const stride = profile.sampleTypes.length;
  for (let s = 0; s < samples.length; s++) {
    const value = samples.values[s * stride + t]!;
    if (value === 0) continue;
    const thread = samples.labelSets[samples.labelSet[s]!]!.find((l) => l.key === 'thread');
    const name = thread === undefined ? (options.name ?? 'profile') : (thread.str ?? String(thread.num));
    let out = threads.get(name);
    if (out === undefined) {
      out = { type: 'sampled', name, unit, startValue: 0, endValue: 0, samples: [], weights: [] };
      threads.set(name, out);
    }
    const stack: number[] = [];
    for (let i = samples.stackStart[s + 1]! - 1; i >= samples.stackStart[s]!; i--) {
      for (const f of locationFrames[samples.stack[i]!]!) stack.push(f);
    }
    out.samples.push(stack);
    out.weights.push(value);
    out.endValue += value;
  }
  const profiles = [...threads.values()];
  // The time range speedscope shows: the recording's duration when known, else the weights'.
  const durationInUnit = UNITS[unit].type === WALL ? profile.durationNs / UNITS[unit].scale : 0;
  for (const p of profiles) p.endValue = Math.max(p.endValue, durationInUnit);
  if (profiles.length === 0) {
    const name = options.name ?? 'profile';
    profiles.push({ type: 'sampled', name, unit, startValue: 0, endValue: 0, samples: [], weights: [] });
  }
  const file = {
    $schema: SCHEMA_URL,
    shared: { frames },
    profiles,
    name: options.name ?? 'kiln',
    activeProfileIndex: 0,
    exporter: 'kiln',
  };
  return JSON.stringify(file);
}

function invalid(message: string, profile?: number, event?: number) {
  const details: Record<string, number> = {};
  if (profile !== undefined) details['profile'] = profile;
  if (event !== undefined) details['event'] = event;
  return formatError(FormatErrorCode.invalid, message, details);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
