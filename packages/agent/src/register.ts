/**
 * Preload entry: profiles any Node program configured through the environment, with no code
 * change.
 *
 *   KILN_APPLICATION_NAME=checkout KILN_SERVER_ADDRESS=http://kiln:4040 \
 *     node --import @kiln/agent/register app.js
 *   # or NODE_OPTIONS="--import @kiln/agent/register"
 *
 * Only the main thread is profiled (NODE_OPTIONS also reaches worker threads). When the
 * program ends by emptying its event loop, the final profile is sent before it exits (bounded
 * by KILN_STOP_TIMEOUT_MS); exit codes and output are the program's own. A program that calls
 * process.exit() or dies of a signal loses the last partial interval.
 */
import { isMainThread } from 'node:worker_threads';
import { startProfilingFromEnv } from './start-from-env.js';

if (isMainThread) {
  const agent = startProfilingFromEnv(process.env);
  if (agent) process.once('beforeExit', () => void agent.stop());
}
