import { Growable } from './growable.js';
import type { Label, Mapping, Profile } from './profile.js';
import type { ValueType } from './value-type.js';

export interface ProfileBuilderOptions {
  sampleTypes: readonly ValueType[];
  defaultSampleType?: number;
  periodType?: ValueType | null;
  period?: number;
  timeNs?: number;
  durationNs?: number;
  comments?: readonly string[];
  /**
   * Add up samples with the same stack and labels into one sample instead of keeping each.
   * Costs a map lookup per sample; used when merging profiles.
   */
  aggregate?: boolean;
}

export interface FunctionInput {
  name: string;
  systemName?: string;
  filename?: string;
  startLine?: number;
}

export interface LocationInput {
  /** Innermost function first, as pprof orders the lines of an inlined location. */
  lines: readonly { fn: number; line?: number }[];
  address?: number;
  mapping?: number;
  isFolded?: boolean;
}

/**
 * Builds a Profile for the text and JSON formats. Functions, locations, mappings and label sets
 * are interned, so adding the same frame twice returns the same index.
 *
 * @example
 *   const b = new ProfileBuilder({ sampleTypes: [{ type: 'samples', unit: 'count' }] });
 *   b.addStack(['main', 'work'], [3]); // root first
 *   const profile = b.build();
 */
export class ProfileBuilder {
  private readonly strings: string[] = [''];
  private readonly stringIndex = new Map<string, number>([['', 0]]);
  private readonly functionIndex = new Map<string, number>();
  private readonly fnName = new Growable(Uint32Array);
  private readonly fnSystemName = new Growable(Uint32Array);
  private readonly fnFilename = new Growable(Uint32Array);
  private readonly fnStartLine = new Growable(Float64Array);
  private readonly locationIndex = new Map<string, number>();
  private readonly locMapping = new Growable(Int32Array);
  private readonly locAddress = new Growable(Float64Array);
  private readonly locFolded = new Growable(Uint8Array);
  private readonly locLineStart = new Growable(Uint32Array);
  private readonly lineFunction = new Growable(Uint32Array);
  private readonly lineNumber = new Growable(Float64Array);
  private readonly mappings: Mapping[] = [];
  private readonly stackStart = new Growable(Uint32Array);
  private readonly stack = new Growable(Uint32Array);
  private readonly values = new Growable(Float64Array);
  private readonly labelSet = new Growable(Uint32Array);
  private readonly labelSets: Label[][] = [[]];
  private readonly labelSetIndex = new Map<string, number>([['[]', 0]]);
  private readonly simpleLocation = new Map<string, number>();
  private readonly stride: number;
  private readonly sampleIndex: Map<string, number> | null;
  private readonly mappingIndex = new Map<string, number>();

  constructor(private readonly options: ProfileBuilderOptions) {
    if (options.sampleTypes.length === 0) throw new RangeError('a profile needs at least one sample type');
    this.stride = options.sampleTypes.length;
    this.sampleIndex = options.aggregate ? new Map() : null;
    this.locLineStart.push(0);
    this.stackStart.push(0);
  }

  get sampleCount(): number {
    return this.labelSet.length;
  }

  get functionCount(): number {
    return this.fnName.length;
  }

  get locationCount(): number {
    return this.locMapping.length;
  }

  string(text: string): number {
    let i = this.stringIndex.get(text);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(text);
      this.stringIndex.set(text, i);
    }
    return i;
  }

  addFunction(input: FunctionInput): number {
    const name = this.string(input.name);
    const systemName = this.string(input.systemName ?? '');
    const filename = this.string(input.filename ?? '');
    const startLine = input.startLine ?? 0;
    const key = `${name},${systemName},${filename},${startLine}`;
    let i = this.functionIndex.get(key);
    if (i === undefined) {
      i = this.fnName.length;
      this.fnName.push(name);
      this.fnSystemName.push(systemName);
      this.fnFilename.push(filename);
      this.fnStartLine.push(startLine);
      this.functionIndex.set(key, i);
    }
    return i;
  }

  /** Adds a mapping; an identical mapping added before is reused. */
  addMapping(mapping: Partial<Mapping> & { filename: string }): number {
    const full: Mapping = {
      memoryStart: 0,
      memoryLimit: 0,
      fileOffset: 0,
      buildId: '',
      hasFunctions: true,
      hasFilenames: false,
      hasLineNumbers: false,
      hasInlineFrames: false,
      ...mapping,
    };
    const key = JSON.stringify(full);
    let i = this.mappingIndex.get(key);
    if (i === undefined) {
      i = this.mappings.length;
      this.mappings.push(full);
      this.mappingIndex.set(key, i);
    }
    return i;
  }

  addLocation(input: LocationInput): number {
    let key = `${input.mapping ?? -1},${input.address ?? 0},${input.isFolded ? 1 : 0}`;
    for (const l of input.lines) key += `,${l.fn}:${l.line ?? 0}`;
    let i = this.locationIndex.get(key);
    if (i === undefined) {
      i = this.locMapping.length;
      this.locMapping.push(input.mapping ?? -1);
      this.locAddress.push(input.address ?? 0);
      this.locFolded.push(input.isFolded ? 1 : 0);
      for (const l of input.lines) {
        this.lineFunction.push(l.fn);
        this.lineNumber.push(l.line ?? 0);
      }
      this.locLineStart.push(this.lineFunction.length);
      this.locationIndex.set(key, i);
    }
    return i;
  }

  /** A location for a bare function name (one line, no address): what folded stacks carry. */
  addFrame(name: string, filename = '', line = 0): number {
    const key = `${name}\u0000${filename}\u0000${line}`;
    let loc = this.simpleLocation.get(key);
    if (loc === undefined) {
      const fn = this.addFunction({ name, filename });
      loc = this.addLocation({ lines: [{ fn, line }] });
      this.simpleLocation.set(key, loc);
    }
    return loc;
  }

  /** Adds a sample; `locations` run from the leaf to the root, as in pprof. */
  addSample(locations: ArrayLike<number>, values: ArrayLike<number>, labels?: readonly Label[]): void {
    if (values.length !== this.stride) {
      throw new RangeError(`sample has ${values.length} values, profile has ${this.stride} sample types`);
    }
    const labelSet = labels && labels.length > 0 ? this.internLabels(labels) : 0;
    if (this.sampleIndex !== null) {
      const key = `${labelSet}|${Array.prototype.join.call(locations, ',')}`;
      const existing = this.sampleIndex.get(key);
      if (existing !== undefined) {
        for (let i = 0; i < values.length; i++) this.values.add(existing * this.stride + i, values[i]!);
        return;
      }
      this.sampleIndex.set(key, this.labelSet.length);
    }
    for (let i = 0; i < locations.length; i++) this.stack.push(locations[i]!);
    this.stackStart.push(this.stack.length);
    for (let i = 0; i < values.length; i++) this.values.push(values[i]!);
    this.labelSet.push(labelSet);
  }

  /** Adds a sample from frame names, root first, as folded stacks write them. */
  addStack(namesRootFirst: readonly string[], values: ArrayLike<number>, labels?: readonly Label[]): void {
    const locations = new Array<number>(namesRootFirst.length);
    for (let i = 0; i < namesRootFirst.length; i++) {
      locations[namesRootFirst.length - 1 - i] = this.addFrame(namesRootFirst[i]!);
    }
    this.addSample(locations, values, labels);
  }

  private internLabels(labels: readonly Label[]): number {
    const sorted = [...labels].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const key = JSON.stringify(sorted.map((l) => [l.key, l.str, l.num, l.unit]));
    let i = this.labelSetIndex.get(key);
    if (i === undefined) {
      i = this.labelSets.length;
      this.labelSets.push(sorted);
      this.labelSetIndex.set(key, i);
    }
    return i;
  }

  build(): Profile {
    const o = this.options;
    return {
      sampleTypes: [...o.sampleTypes],
      defaultSampleType: o.defaultSampleType ?? 0,
      periodType: o.periodType ?? null,
      period: o.period ?? 0,
      timeNs: o.timeNs ?? 0,
      durationNs: o.durationNs ?? 0,
      strings: this.strings,
      functions: {
        length: this.fnName.length,
        name: this.fnName.finish(),
        systemName: this.fnSystemName.finish(),
        filename: this.fnFilename.finish(),
        startLine: this.fnStartLine.finish(),
      },
      locations: {
        length: this.locMapping.length,
        mapping: this.locMapping.finish(),
        address: this.locAddress.finish(),
        isFolded: this.locFolded.finish(),
        lineStart: this.locLineStart.finish(),
        lineFunction: this.lineFunction.finish(),
        lineNumber: this.lineNumber.finish(),
      },
      mappings: this.mappings,
      samples: {
        length: this.labelSet.length,
        stackStart: this.stackStart.finish(),
        stack: this.stack.finish(),
        values: this.values.finish(),
        labelSet: this.labelSet.finish(),
        labelSets: this.labelSets,
      },
      comments: [...(o.comments ?? [])],
      dropFrames: '',
      keepFrames: '',
    };
  }
}
