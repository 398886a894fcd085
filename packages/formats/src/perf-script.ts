import { ProfileBuilder, type Label, type Profile, type ValueType } from '@kiln/model';
import { FormatErrorCode, formatError } from './errors.js';
import { utf8ByteLength } from './utf8.js';
import { checkLimit, resolveLimits, type DecodeLimits, type ParseOptions } from './limits.js';
import { bytesToText, looksLikeText } from './text.js';

/** One event header line, split into perf's fields. */
interface EventHeader {
  comm: string;
  /** '' when perf printed only one number: the default fields carry the tid, not the pid. */
  pid: string;
  tid: string;
  /** Whole seconds and nanoseconds of perf's clock; `timeSec` is -1 without a time field. */
  timeSec: number;
  timeFracNs: number;
  /** -1 when perf printed no period. */
  period: number;
  event: string;
  /** What follows `event:`: the leaf frame when recorded without `-g`, trace fields, or ''. */
  tail: string;
}

interface Frame {
  address: number;
  name: string;
  /** The symbol as perf printed it, without the offset; '' for `[unknown]`. */
  symbol: string;
  dso: string;
}

const SAMPLES: ValueType = { type: 'samples', unit: 'count' };
const CPU: ValueType = { type: 'cpu', unit: 'nanoseconds' };
/** Events whose period perf reports in nanoseconds of CPU time. */
const CLOCK_EVENTS = new Set(['cpu-clock', 'task-clock']);

/**
 * True when the first event header reads like `perf script` output: `comm tid time: period
 * event:`, followed by a frame line or carrying a timestamp. Only the first 64 KiB are read.
 */
export function isPerfScript(bytes: Uint8Array): boolean {
  if (!looksLikeText(bytes)) return false;
  const lines = bytesToText(bytes.subarray(0, Math.min(bytes.length, 65_536))).split('\n', 200);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    const header = parseHeader(line.trimStart());
    if (header === null) return false;
    return header.timeSec >= 0 || parseFrame(header.tail) !== null || isFrameLine((lines[i + 1] ?? '').trimEnd());
  }
  return false;
}

/**
 * Parses the text of `perf script` after `perf record -g` (default fields, or `-F` with comm,
 * tid or pid/tid, time, period, event, ip, sym, dso in perf's order). Blocks of one event
 * header and its call chain (leaf first) become samples whose stack has the command name as
 * its root frame, as stackcollapse-perf does, so processes and threads split at the top of
 * the flame graph; labels `comm`, `tid` and (when printed) `pid` allow filtering too.
 *
 * - Sample types: `samples/count` (events), plus one per event with periods: `cpu/nanoseconds`
 *   for cpu-clock and task-clock (their period is in ns), `<event>/count` for others
 *   (`cycles/count`). The default is cpu when present. The period is the first event's.
 * - Frame names are the symbol without `+0x…`; kernel frames get stackcollapse-perf's `_[k]`
 *   suffix (`do_syscall_64_[k]`) and unresolved user frames are named by their DSO's base
 *   name (`[unknown] (libhelper.so)`, or `[unknown]` without DSO). JIT symbols from perf
 *   maps lose V8's code-kind and tier prefix (`JS:*fib /app.js:3:13` -> `fib /app.js:3:13`),
 *   so a function is one frame whichever tier ran it; the raw symbol stays as system name.
 * - Identical (stack, event, comm, pid, tid) events become one sample; `maxSamples` limits
 *   the events read.
 * - `durationNs` spans the first to the last event; `timeNs` stays 0 (unknown) because perf's
 *   default clock counts from boot, not from the Unix epoch.
 * - `#` lines between events are skipped (`--header`, or several outputs concatenated).
 *
 * @example
 *   const text = 'app 42 10.5: 1000000 cpu-clock:\n\t4004d6 main+0x6 (/app)\n\n';
 *   const profile = parsePerfScript(new TextEncoder().encode(text)); // app;main 1000000 ns
 */
export function parsePerfScript(bytes: Uint8Array, options: ParseOptions = {}): Profile | null {
  if (!isPerfScript(bytes)) return null;
  return new PerfScriptParser(resolveLimits(options.limits)).parse(bytesToText(bytes));
}

class PerfScriptParser {
  private readonly frames: Frame[] = [];
  private readonly frameIndex = new Map<string, number>();
  private readonly labelSets: { comm: string; pid: string; tid: string }[] = [];
  private readonly labelSetIndex = new Map<string, number>();
  /** Value columns after samples/count, keyed by `type/unit`. */
  private readonly columns = new Map<string, { type: ValueType; column: number; period: number }>();
  /** Aggregated samples: key (label set, column, frames) -> index into the arrays below. */
  private readonly sampleIndex = new Map<string, number>();
  private readonly sampleFrames: number[][] = [];
  private readonly sampleLabels: number[] = [];
  private readonly sampleColumn: number[] = [];
  private readonly sampleCount: number[] = [];
  private readonly sampleSum: number[] = [];
  private events = 0;
  private first: [number, number] | null = null;
  private last: [number, number] | null = null;
  private readonly distinctNames = new Set<string>();

  constructor(private readonly limits: DecodeLimits) {}

  parse(text: string): Profile {
    let header: EventHeader | null = null;
    let headerLine = 0;
    let stack: number[] = [];
    let lineNo = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      const lastLine = end === -1;
      if (lastLine) end = text.length;
      lineNo++;
      const line = text.slice(start, end).trimEnd();
      start = end + 1;
      if (header !== null && isFrameLine(line)) {
        const frame = parseFrame(line.trimStart());
        if (frame === null) throw brokenLine(lineNo, line, lastLine);
        stack.push(this.internFrame(frame, line.trimStart(), lineNo));
        checkLimit(this.limits, 'maxStackDepth', stack.length, `the event at line ${headerLine}`);
        continue;
      }
      if (header !== null) {
        this.addEvent(header, stack, headerLine);
        header = null;
        stack = [];
      }
      if (line === '' || line.startsWith('#')) continue;
      const next = parseHeader(line.trimStart());
      if (next === null) throw brokenLine(lineNo, line, lastLine);
      checkLimit(this.limits, 'maxStringBytes', utf8ByteLength(next.comm), `the comm at line ${lineNo}`);
      const leaf = parseFrame(next.tail);
      if (leaf !== null) {
        // Recorded without -g: the header carries the only frame, and the next line may be the
        // next header, right-aligned with leading spaces.
        this.addEvent(next, [this.internFrame(leaf, next.tail, lineNo)], lineNo);
        continue;
      }
      header = next;
      headerLine = lineNo;
    }
    if (header !== null) this.addEvent(header, stack, headerLine);
    return this.build();
  }

  private internFrame(frame: Frame, key: string, lineNo: number): number {
    let i = this.frameIndex.get(key);
    if (i === undefined) {
      checkLimit(this.limits, 'maxStringBytes', utf8ByteLength(frame.symbol), `the symbol at line ${lineNo}`);
      checkLimit(this.limits, 'maxStringBytes', utf8ByteLength(frame.dso), `the DSO at line ${lineNo}`);
      i = this.frames.length;
      this.frames.push(frame);
      this.frameIndex.set(key, i);
      checkLimit(this.limits, 'maxLocations', this.frames.length, `line ${lineNo}`);
      this.distinctNames.add(frame.name);
      checkLimit(this.limits, 'maxFunctions', this.distinctNames.size, `line ${lineNo}`);
    }
    return i;
  }

  private addEvent(header: EventHeader, stack: number[], lineNo: number): void {
    this.events++;
    checkLimit(this.limits, 'maxSamples', this.events, `the event at line ${lineNo}`);
    if (header.timeSec >= 0) {
      const t: [number, number] = [header.timeSec, header.timeFracNs];
      if (this.first === null || before(t, this.first)) this.first = t;
      if (this.last === null || before(this.last, t)) this.last = t;
    }
    const labelKey = `${header.comm}\u0000${header.pid}\u0000${header.tid}`;
    let labels = this.labelSetIndex.get(labelKey);
    if (labels === undefined) {
      labels = this.labelSets.length;
      this.labelSets.push({ comm: header.comm, pid: header.pid, tid: header.tid });
      this.labelSetIndex.set(labelKey, labels);
    }
    const column = header.period >= 0 ? this.column(header.event, header.period) : 0;
    const key = `${labels},${column},${stack.join(',')}`;
    let s = this.sampleIndex.get(key);
    if (s === undefined) {
      s = this.sampleFrames.length;
      this.sampleIndex.set(key, s);
      this.sampleFrames.push(stack);
      this.sampleLabels.push(labels);
      this.sampleColumn.push(column);
      this.sampleCount.push(0);
      this.sampleSum.push(0);
    }
    this.sampleCount[s]!++;
    this.sampleSum[s]! += Math.max(header.period, 0);
  }

  /** The value column of an event; cpu-clock and task-clock share `cpu/nanoseconds`. */
  private column(event: string, period: number): number {
    const base = stripModifiers(event);
    const type = CLOCK_EVENTS.has(base) ? CPU : { type: base, unit: 'count' };
    const key = `${type.type}/${type.unit}`;
    let c = this.columns.get(key);
    if (c === undefined) {
      c = { type, column: this.columns.size + 1, period };
      this.columns.set(key, c);
    }
    return c.column;
  }

  private build(): Profile {
    const columns = [...this.columns.values()];
    const sampleTypes = [SAMPLES, ...columns.map((c) => c.type)];
    const main = columns.find((c) => c.type === CPU) ?? columns[0];
    const builder = new ProfileBuilder({
      sampleTypes,
      defaultSampleType: main?.column ?? 0,
      periodType: main?.type ?? null,
      period: main?.period ?? 0,
      durationNs: this.first && this.last ? (this.last[0] - this.first[0]) * 1e9 + (this.last[1] - this.first[1]) : 0,
    });
    const mappings = new Map<string, number>();
    const locations = this.frames.map((f) => {
      let mapping = -1;
      if (f.dso !== '') {
        mapping = mappings.get(f.dso) ?? -1;
        if (mapping === -1) {
          mapping = builder.addMapping({ filename: f.dso });
          mappings.set(f.dso, mapping);
        }
      }
      const fn = builder.addFunction({ name: f.name, systemName: f.symbol === f.name ? '' : f.symbol });
      return builder.addLocation({ lines: [{ fn }], address: f.address, mapping });
    });
    const labels: Label[][] = this.labelSets.map((l) => [
      { key: 'comm', str: l.comm },
      ...(l.pid === '' ? [] : [{ key: 'pid', str: l.pid }]),
      { key: 'tid', str: l.tid },
    ]);
    const commLocations = this.labelSets.map((l) => builder.addFrame(l.comm));
    const values = new Float64Array(sampleTypes.length);
    for (let s = 0; s < this.sampleFrames.length; s++) {
      const frames = this.sampleFrames[s]!;
      const stack = frames.map((f) => locations[f]!);
      const set = this.sampleLabels[s]!;
      stack.push(commLocations[set]!);
      values.fill(0);
      values[0] = this.sampleCount[s]!;
      const column = this.sampleColumn[s]!;
      if (column > 0) values[column] = this.sampleSum[s]!;
      builder.addSample(stack, values, labels[set]);
    }
    return builder.build();
  }
}

function brokenLine(lineNo: number, line: string, lastLine: boolean) {
  // A last line without its newline that fails to parse is a cut-off file, not a bad one.
  const code = lastLine ? FormatErrorCode.truncated : FormatErrorCode.invalid;
  const what = lastLine ? 'is cut off' : 'is neither a perf script event header nor a frame';
  return formatError(code, `line ${lineNo} ${what}: ${JSON.stringify(line.slice(0, 120))}`, { line: lineNo });
}

function before(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/**
 * Splits a header into whitespace-separated tokens and finds the pid field: the first token
 * after at least one comm token that is followed by the fields perf prints after it. Comm may
 * contain spaces and digits, so the comm is everything before that token. Each candidate looks
 * at most five tokens ahead, which keeps this linear.
 */
function parseHeader(line: string): EventHeader | null {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < line.length;) {
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (i === line.length) break;
    starts.push(i);
    while (i < line.length && !isSpace(line.charCodeAt(i))) i++;
    ends.push(i);
  }
  const token = (t: number): string => (t < starts.length ? line.slice(starts[t], ends[t]) : '');
  for (let p = 1; p < starts.length - 1; p++) {
    const ids = /^(\d{1,10})(?:\/(\d{1,10}))?$/.exec(token(p));
    if (ids === null) continue;
    let t = p + 1;
    if (/^\[\d{1,6}\]$/.test(token(t))) t++;
    const time = /^(\d{1,12})\.(\d{1,9}):$/.exec(token(t));
    if (time !== null) t++;
    let period = -1;
    if (/^\d{1,20}$/.test(token(t)) && isEventToken(token(t + 1))) period = Number(token(t++));
    if (!isEventToken(token(t))) continue;
    return {
      comm: line.slice(0, ends[p - 1]),
      pid: ids[2] === undefined ? '' : ids[1]!,
      tid: ids[2] ?? ids[1]!,
      timeSec: time === null ? -1 : Number(time[1]),
      timeFracNs: time === null ? 0 : Number(time[2]!.padEnd(9, '0')),
      period,
      event: token(t).slice(0, -1),
      tail: line.slice(ends[t]).trim(),
    };
  }
  return null;
}

function isEventToken(token: string): boolean {
  return token.length > 1 && token.endsWith(':') && !/^\d+\.\d+:$/.test(token);
}

/** `cpu-clock:pppH` -> `cpu-clock`; tracepoints such as `sched:sched_switch` keep their colon. */
function stripModifiers(event: string): string {
  return event.replace(/:[ukhIGHpPSDeWbR]+$/, '');
}

/** A call-chain line: indented, then a hex address alone or followed by a space. */
function isFrameLine(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c !== 9 && c !== 32) return false;
  let i = 1;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  const from = i;
  while (i < line.length && isHex(line.charCodeAt(i))) i++;
  return i > from && (i === line.length || isSpace(line.charCodeAt(i)));
}

/** `55d4c1a2b3c4 func+0x1f (/path/to/dso)`; the symbol and the DSO may each be missing. */
function parseFrame(text: string): Frame | null {
  let i = 0;
  while (i < text.length && isHex(text.charCodeAt(i))) i++;
  if (i === 0 || i > 16 || (i < text.length && !isSpace(text.charCodeAt(i)))) return null;
  const addressHex = text.slice(0, i);
  let rest = text.slice(i).trim();
  let dso = '';
  if (rest.endsWith(')')) {
    // The DSO is the last parenthesised group; symbols have parentheses of their own
    // (`Hash::HashUpdate(v8::FunctionCallbackInfo<...> const&)`), so match from the end.
    let depth = 0;
    let j = rest.length - 1;
    for (; j >= 0; j--) {
      const c = rest.charCodeAt(j);
      if (c === 41) depth++;
      else if (c === 40 && --depth === 0) break;
    }
    if (j === 0 || (j > 0 && rest.charCodeAt(j - 1) === 32)) {
      dso = rest.slice(j + 1, -1);
      rest = rest.slice(0, j).trimEnd();
    }
  }
  const symbol = stripOffset(rest);
  return {
    address: parseInt(addressHex, 16),
    name: frameName(symbol, dso, addressHex),
    symbol: symbol === '[unknown]' ? '' : symbol,
    dso,
  };
}

function stripOffset(symbol: string): string {
  let i = symbol.length;
  while (i > 0 && isHex(symbol.charCodeAt(i - 1))) i--;
  return i < symbol.length && i >= 3 && symbol.endsWith('+0x', i) ? symbol.slice(0, i - 3) : symbol;
}

function frameName(symbol: string, dso: string, addressHex: string): string {
  const unknown = symbol === '' || symbol === '[unknown]';
  if (isKernel(dso, addressHex)) return `${unknown ? '[unknown]' : symbol}_[k]`;
  if (!unknown) return dso.startsWith('/tmp/perf-') ? jitName(symbol) : symbol;
  if (dso === '' || dso === '[unknown]') return '[unknown]';
  return `[unknown] (${dso.slice(dso.lastIndexOf('/') + 1)})`;
}

/**
 * V8's perf-map names carry the code kind and a tier mark (`JS:*fib /app.js:3:13`,
 * `LazyCompile:~fib ...`: `*` optimized, `~` interpreted, `^` baseline). One function is one
 * frame whatever tier ran it, so the prefix goes; other JIT names are kept.
 */
function jitName(symbol: string): string {
  const m = /^(?:JS|LazyCompile|Function|InterpretedFunction):[*~^+]?/.exec(symbol);
  if (m === null) return symbol;
  const rest = symbol.slice(m[0].length);
  return rest.startsWith(' ') ? `(anonymous)${rest}` : rest;
}

/**
 * Kernel code by its DSO: `[kernel.kallsyms]`, a guest kernel, vmlinux, a module file, or a
 * bracketed module name at a kernel-half address. The address alone is not enough: garbage
 * return addresses (`e9b5dba5b5c0fbcf`, seen under Go assembly) look like kernel ones.
 */
function isKernel(dso: string, addressHex: string): boolean {
  if (dso.startsWith('[kernel.') || dso.startsWith('[guest.kernel.')) return true;
  const base = dso.slice(dso.lastIndexOf('/') + 1);
  if (base.startsWith('vmlinux') || /\.ko(\.xz|\.gz|\.zst)?$/.test(base)) return true;
  return (
    /^\[[\w-]+\]$/.test(dso) &&
    !/^\[(unknown|vdso|vsyscall|vectors|heap|stack|anon|uprobes)\]$/.test(dso) &&
    addressHex.length === 16 &&
    addressHex.startsWith('ffff')
  );
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
