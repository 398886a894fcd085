import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT_DEFAULTS, resolveAgentOptions, type AgentOptions } from './agent-options.js';
import { startProfiling } from './agent.js';

test('defaults: CPU at 100 Hz with CPU time and heap at 512 KiB, uploads every 10 s, 30 buffered', () => {
  const resolved = resolveAgentOptions({ appName: 'svc' });
  assert.equal(resolved.uploadIntervalMs, 10_000);
  assert.deepEqual(resolved.cpu, { samplingIntervalMicros: 10_000, collectCpuTime: true });
  assert.deepEqual(resolved.heap, { samplingIntervalBytes: 524_288, stackDepth: 64 });
  assert.equal(resolved.maxBufferedProfiles, 30);
  assert.equal(resolved.serverAddress, AGENT_DEFAULTS.serverAddress);
  assert.equal(resolved.sourceMaps, null);
  assert.deepEqual(resolveAgentOptions({ appName: 'svc', sourceMaps: true }).sourceMaps, {
    searchDirs: [process.cwd()],
  });
});

test('startProfiling throws ERR_AGENT_INVALID_OPTIONS, before starting anything, for what a server would reject', () => {
  const bad: Array<[string, unknown]> = [
    ['no app name', { appName: '' }],
    ['app name with a brace', { appName: 'shop{x}' }],
    ['tag value with a comma', { appName: 'shop', tags: { env: 'a,b' } }],
    ['tag value with =', { appName: 'shop', tags: { env: 'a=b' } }],
    ['tag name with a dash', { appName: 'shop', tags: { 'my-tag': 'x' } }],
    ['tag value not a string', { appName: 'shop', tags: { env: true } }],
    ['zero interval', { appName: 'shop', uploadIntervalMs: 0 }],
    ['fractional buffer', { appName: 'shop', maxBufferedProfiles: 1.5 }],
    ['not a URL', { appName: 'shop', serverAddress: 'pyroscope:4040' }],
    ['exporter without export()', { appName: 'shop', exporter: {} }],
  ];
  for (const [what, options] of bad) {
    assert.throws(() => startProfiling(options as AgentOptions), { code: 'ERR_AGENT_INVALID_OPTIONS' }, what);
  }
});
