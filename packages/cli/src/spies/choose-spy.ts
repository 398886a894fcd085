import { openSync, readSync, closeSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { cliError } from '../cli-error.js';
import { findProgram } from './find-program.js';
import type { SpyName } from './spy.js';

export type Runtime = 'node' | 'python' | 'ruby' | 'native';

const NODE = /^(node|nodejs|node\d+|npx|npm|tsx|ts-node)$/;
const PYTHON = /^(python|pypy)[\d.]*$/;
const RUBY = /^(ruby[\d.]*|bundle|rails|rake)$/;

/** The runtime a program name or file name suggests; null when it says nothing. */
export function runtimeOfName(name: string): Runtime | null {
  const base = basename(name);
  if (NODE.test(base) || /\.(m|c)?js$/.test(base) || /\.(m|c)?ts$/.test(base)) return 'node';
  if (PYTHON.test(base) || base.endsWith('.py')) return 'python';
  if (RUBY.test(base) || base.endsWith('.rb')) return 'ruby';
  return null;
}

/**
 * The runtime of the program `kiln exec -- CMD` starts: by its name (`node`, `python3.8`,
 * `app.py`), else by the interpreter on its `#!` line (`#!/usr/bin/env node`), else native.
 */
export function runtimeOfCommand(command: string): Runtime {
  const byName = runtimeOfName(command);
  if (byName !== null) return byName;
  const path = findProgram(command);
  if (path === null) return 'native';
  const shebang = readShebang(path);
  if (shebang === null) return 'native';
  for (const word of shebang.split(/\s+/).slice(0, 3)) {
    const runtime = word === '' || basename(word) === 'env' ? null : runtimeOfName(word);
    if (runtime !== null) return runtime;
  }
  return 'native';
}

/** The runtime of a running process, by the executable /proc says it runs. */
export function runtimeOfPid(pid: number): Runtime {
  try {
    return runtimeOfName(readlinkSync(`/proc/${pid}/exe`)) ?? 'native';
  } catch {
    return 'native';
  }
}

/**
 * `--spy auto`: Node runs Kiln's agent (exec) or is sampled through its inspector (connect);
 * Python uses py-spy, else austin; Ruby rbspy; anything else perf.
 */
export function chooseSpy(runtime: Runtime): SpyName {
  switch (runtime) {
    case 'node':
      return 'node';
    case 'python':
      if (findProgram('py-spy') !== null) return 'py-spy';
      if (findProgram('austin') !== null) return 'austin';
      throw cliError(
        'ERR_CLI_SPY_NOT_INSTALLED',
        'profiling Python needs py-spy or austin, and neither is on PATH: `pip install py-spy`, or `apt-get install austin` (Python 3.8 and older)',
        { program: 'py-spy' },
      );
    case 'ruby':
      return 'rbspy';
    case 'native':
      return 'perf';
  }
}

/** `--spy`: `auto` chooses by the runtime; a named spy is checked against it. */
export function pickSpy(runtime: Runtime, wanted: 'auto' | SpyName): SpyName {
  if (wanted === 'auto') return chooseSpy(runtime);
  checkSpyFits(wanted, runtime);
  return wanted;
}

/** ERR_CLI_SPY_UNSUPPORTED when a spy is asked to profile a runtime it cannot read. */
export function checkSpyFits(spy: SpyName, runtime: Runtime): void {
  const fits: Record<SpyName, readonly Runtime[]> = {
    node: ['node'],
    perf: ['native', 'node', 'python', 'ruby'],
    austin: ['python'],
    'py-spy': ['python'],
    rbspy: ['ruby'],
  };
  if (!fits[spy].includes(runtime)) {
    throw cliError(
      'ERR_CLI_SPY_UNSUPPORTED',
      `--spy ${spy} cannot profile a ${runtime === 'native' ? 'native' : runtime} program`,
      {
        spy,
        runtime,
      },
    );
  }
}

function readShebang(path: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('latin1');
    return text.startsWith('#!') ? text.slice(2).split('\n')[0]!.trim() : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
