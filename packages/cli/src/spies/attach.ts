import { attachAustin } from './austin.js';
import { attachNodeInspector } from './node-inspector.js';
import { attachPerf } from './perf.js';
import { attachRecordLoop, PY_SPY, RBSPY } from './record-loop.js';
import type { AttachSpy, SpyName } from './spy.js';

/** How each spy attaches to a running process (`node`: through V8's inspector). */
export const ATTACH: Readonly<Record<SpyName, AttachSpy>> = {
  node: attachNodeInspector,
  perf: attachPerf,
  austin: attachAustin,
  'py-spy': attachRecordLoop(PY_SPY),
  rbspy: attachRecordLoop(RBSPY),
};
