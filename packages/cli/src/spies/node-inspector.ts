import { readFile, readlink } from 'node:fs/promises';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { cliError } from '../cli-error.js';
import { cpuprofileToProfile, type Cpuprofile } from './cpuprofile-to-profile.js';
import {
  connectableEndpoint,
  endpointKey,
  isListening,
  readSockets,
  TCP_ESTABLISHED,
  type Endpoint,
} from './proc-sockets.js';
import type { AttachOptions, AttachSpy, SpySession } from './spy.js';

/** Longest wait for one answer of the inspector; `Profiler.stop` of a busy process included. */
export const INSPECTOR_CALL_TIMEOUT_MS = 10_000;
/** How long the inspector may take to open after SIGUSR1 (it opens on the target's own time). */
export const INSPECTOR_OPEN_TIMEOUT_MS = 5_000;
const INSPECTOR_POLL_MS = 50;
/** Sockets the target listened on before SIGUSR1 are asked for `/json/list` only after this. */
const ALREADY_OPEN_GRACE_MS = 300;
const PROBE_TIMEOUT_MS = 1_000;
const MAX_PROBE_BODY_BYTES = 1_000_000;
const DEFAULT_INSPECTOR_PORT = 9229;
const DEFAULT_ENDPOINT: Endpoint = { host: '127.0.0.1', port: DEFAULT_INSPECTOR_PORT };
/** After the inspector's socket closed, how long the target may take to leave the process table. */
const EXIT_WAIT_MS = 2_000;
const SIGUSR1_BIT = 1n << 9n;

/**
 * Profiles a running Node.js process through V8's inspector, as `kiln connect --pid` does: a
 * started process cannot load Kiln's agent, but SIGUSR1 (`process._debugProcess`) makes it open
 * its inspector, whose `Profiler` domain samples CPU like the agent does.
 *
 * Rejects with ERR_CLI_NO_SUCH_PROCESS when `pid` does not exist (or may not be signalled) and
 * ERR_CLI_INSPECTOR when the inspector does not open, a debugger already holds it, or the
 * protocol fails. `stop()` closes the inspector again when this attach opened it.
 *
 * @example
 *   const session = await attachNodeInspector(4242, { intervalMs: 10_000, sampleRateHz: 100, onWindow, onWarning });
 *   await session.stop();
 */
export const attachNodeInspector: AttachSpy = async (pid, options) => {
  await checkSignallable(pid);
  const inspector = await openInspector(pid);
  let connection: InspectorConnection;
  try {
    connection = await InspectorConnection.connect(inspector.webSocketUrl);
  } catch (err) {
    // Without a session the inspector this attach opened cannot be closed again.
    throw inspectorError(pid, `could not connect to its inspector at ${inspector.webSocketUrl}: ${messageOf(err)}`);
  }
  const samplingIntervalUs = Math.max(1, Math.round(1_000_000 / options.sampleRateHz));
  let profilingSinceMs: number;
  try {
    // The port was found from this pid's own sockets where /proc tells; elsewhere 9229 may be
    // another process's inspector.
    const { result } = await connection.call<{ result: { value?: unknown } }>('Runtime.evaluate', {
      expression: 'process.pid',
      returnByValue: true,
    });
    if (result.value !== pid) throw new Error(`the inspector found belongs to process ${String(result.value)}`);
    await connection.call('Profiler.enable');
    await connection.call('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await connection.call('Profiler.start');
    profilingSinceMs = Date.now();
    // Else a target that exits waits for this session to disconnect ("Waiting for the debugger to
    // disconnect...") and never exits while kiln profiles it.
    await connection.call('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true });
  } catch (err) {
    if (!inspector.wasOpen) await closeInspector(connection);
    await connection.closeAndWait();
    throw inspectorError(pid, messageOf(err));
  }
  return new NodeInspectorSession(pid, connection, {
    wasOpen: inspector.wasOpen,
    options,
    profilingSinceMs,
    periodNs: samplingIntervalUs * 1000,
    cwd: await readlink(`/proc/${pid}/cwd`).catch(() => ''),
  });
};

interface SessionSetup {
  readonly wasOpen: boolean;
  readonly options: AttachOptions;
  /** When `Profiler.start` returned: the first window's start. */
  readonly profilingSinceMs: number;
  readonly periodNs: number;
  readonly cwd: string;
}

/**
 * Windows are taken one at a time: a `Profiler.stop` and at once a `Profiler.start`, so
 * consecutive windows cover the time without gaps (but the few ms of the round trip).
 *
 * A target that exits tells so (`NodeRuntime.waitingForDisconnect`) and waits: its last window is
 * taken, then the socket is closed, which lets it exit.
 */
class NodeInspectorSession implements SpySession {
  readonly ended: Promise<void>;
  private windowStartMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The window being taken; stop() waits for it. */
  private inFlight: Promise<void> = Promise.resolve();
  /** Set once the session is ending, by stop() or by the target exiting. */
  private ending: Promise<void> | undefined;
  private stopRequested = false;

  constructor(
    private readonly pid: number,
    private readonly connection: InspectorConnection,
    private readonly setup: SessionSetup,
  ) {
    this.windowStartMs = setup.profilingSinceMs;
    this.ended = connection.closed.then(async () => {
      clearTimeout(this.timer);
      if (this.stopRequested || (await waitForExit(pid, EXIT_WAIT_MS))) return;
      throw inspectorError(pid, 'its inspector closed while it still runs (it called inspector.close()?)');
    });
    // Handled here so that a caller who never awaits `ended` gets no unhandled rejection.
    this.ended.catch(() => {});
    connection.on('NodeRuntime.waitingForDisconnect', () => {
      this.ending ??= this.letExit();
    });
    this.schedule();
  }

  stop(): Promise<void> {
    this.stopRequested = true;
    this.ending ??= this.detach();
    return this.ending;
  }

  private schedule(): void {
    const delayMs = Math.max(0, this.windowStartMs + this.setup.options.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.inFlight = this.takeWindow(true).then(() => {
        if (this.ending === undefined && !this.connection.isClosed) this.schedule();
      });
    }, delayMs);
  }

  private async detach(): Promise<void> {
    clearTimeout(this.timer);
    await this.inFlight;
    if (this.connection.isClosed) return;
    await this.takeWindow(false);
    try {
      await this.connection.call('Profiler.disable');
    } catch (err) {
      this.warn(`Profiler.disable failed: ${messageOf(err)}`);
    }
    if (!this.setup.wasOpen) {
      const failure = await closeInspector(this.connection);
      if (failure !== null) this.warn(`its inspector stays open: ${failure}`);
    }
    await this.connection.closeAndWait();
  }

  private async letExit(): Promise<void> {
    clearTimeout(this.timer);
    await this.inFlight;
    await this.takeWindow(false);
    await this.connection.closeAndWait();
  }

  private async takeWindow(restart: boolean): Promise<void> {
    const startMs = this.windowStartMs;
    let cpuprofile: Cpuprofile | undefined;
    try {
      ({ profile: cpuprofile } = await this.connection.call<{ profile: Cpuprofile }>('Profiler.stop'));
    } catch (err) {
      if (!this.connection.isClosed) this.warn(`a window was lost: ${messageOf(err)}`);
    }
    const endMs = Date.now();
    this.windowStartMs = endMs;
    if (restart && !this.connection.isClosed) {
      try {
        await this.connection.call('Profiler.start');
      } catch (err) {
        if (!this.connection.isClosed) this.warn(`Profiler.start failed: ${messageOf(err)}`);
      }
    }
    if (cpuprofile === undefined) return;
    try {
      const { periodNs, cwd } = this.setup;
      const profile = cpuprofileToProfile(cpuprofile, { periodNs, cwd, timeNs: startMs * 1_000_000 });
      if (profile.samples.length > 0) this.setup.options.onWindow({ profile, startMs, endMs, spyName: 'nodespy' });
    } catch (err) {
      this.warn(`a window was lost: ${messageOf(err)}`);
    }
  }

  private warn(message: string): void {
    try {
      this.setup.options.onWarning(`node inspector of process ${this.pid}: ${message}`);
    } catch {
      // A throwing callback must not become an unhandled rejection of the window timer.
    }
  }
}

/**
 * Closes the target's inspector from inside: `require` is part of the inspector's command line
 * API in CommonJS and ES module programs alike. inspector.close() drops every session, ours
 * included, usually before its answer is sent. Returns why it failed, or null.
 */
async function closeInspector(connection: InspectorConnection): Promise<string | null> {
  const evaluation = connection
    .call<{ exceptionDetails?: { text?: string; exception?: { description?: string } } }>('Runtime.evaluate', {
      expression: "require('inspector').close()",
      includeCommandLineAPI: true,
    })
    .then(
      ({ exceptionDetails: e }) => (e === undefined ? null : (e.exception?.description ?? e.text ?? 'an exception')),
      (err: unknown) => (connection.isClosed ? null : messageOf(err)),
    );
  const failure = await Promise.race([evaluation, connection.closed.then(() => null)]);
  if (failure !== null) return failure;
  const closed = await Promise.race([
    connection.closed.then(() => true),
    sleep(INSPECTOR_CALL_TIMEOUT_MS, false, { ref: false }),
  ]);
  return closed ? null : 'inspector.close() returned, yet the inspector kept this session';
}

class InspectorConnection {
  readonly closed: Promise<void>;
  isClosed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, () => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.receive(data));
    // 'close' follows every 'error': failing the pending calls there is enough.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        for (const [id, call] of this.pending) {
          clearTimeout(call.timer);
          call.reject(cliError('ERR_CLI_INSPECTOR', `the inspector closed before answering ${call.method}`));
          this.pending.delete(id);
        }
        resolve();
      });
    });
  }

  static connect(url: string): Promise<InspectorConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: INSPECTOR_CALL_TIMEOUT_MS });
      socket.once('open', () => {
        socket.removeAllListeners('error');
        resolve(new InspectorConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.isClosed) return Promise.reject(cliError('ERR_CLI_INSPECTOR', `the inspector closed before ${method}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(cliError('ERR_CLI_INSPECTOR', `${method} got no answer within ${INSPECTOR_CALL_TIMEOUT_MS} ms`));
      }, INSPECTOR_CALL_TIMEOUT_MS);
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Calls `listener` on each event `method` (a session enables the domain it comes from). */
  on(method: string, listener: () => void): void {
    this.listeners.set(method, listener);
  }

  close(): void {
    this.socket.close();
  }

  /** Closes the socket, cutting it when the target does not finish the closing handshake. */
  async closeAndWait(): Promise<void> {
    this.close();
    const timer = setTimeout(() => this.socket.terminate(), INSPECTOR_CALL_TIMEOUT_MS);
    await this.closed;
    clearTimeout(timer);
  }

  private receive(data: WebSocket.RawData): void {
    let message: { id?: number; method?: string; result?: unknown; error?: { message?: string } };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      return;
    }
    if (message.id === undefined) {
      if (message.method !== undefined) this.listeners.get(message.method)?.();
      return;
    }
    const call = this.pending.get(message.id);
    if (call === undefined) return;
    this.pending.delete(message.id);
    clearTimeout(call.timer);
    if (message.error !== undefined) {
      call.reject(cliError('ERR_CLI_INSPECTOR', `${call.method} failed: ${message.error.message ?? 'unknown error'}`));
    } else {
      call.resolve(message.result);
    }
  }
}

interface Pending {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface OpenedInspector {
  readonly webSocketUrl: string;
  /** The inspector was listening before this attach: leave it open on stop(). */
  readonly wasOpen: boolean;
}

/**
 * SIGUSR1 and wait for the inspector's HTTP endpoint. Its port is found among the sockets the
 * target listens on (/proc/PID/fd against /proc/PID/net/tcp{,6}); it need not be 9229
 * (`--inspect-port`). Where /proc is not readable, only 127.0.0.1:9229 is tried.
 */
async function openInspector(pid: number): Promise<OpenedInspector> {
  const socketsBefore = await readSockets(pid);
  const listeningBefore = new Set(
    socketsBefore !== null
      ? socketsBefore.filter(isListening).map(endpointKey)
      : (await probeInspector(DEFAULT_ENDPOINT, new Set())) !== null
        ? [endpointKey(DEFAULT_ENDPOINT)]
        : [],
  );
  try {
    (process as unknown as { _debugProcess(pid: number): void })._debugProcess(pid);
  } catch (err) {
    throw errnoOf(err) === 'ESRCH' || errnoOf(err) === 'EPERM'
      ? noSuchProcess(pid, messageOf(err))
      : inspectorError(pid, `SIGUSR1 failed: ${messageOf(err)}`);
  }
  const startedMs = Date.now();
  const probed = new Set<string>();
  const probeLocalPorts = new Set<number>();
  for (;;) {
    const sockets = await readSockets(pid);
    let candidates: Endpoint[];
    if (sockets === null) {
      candidates = [DEFAULT_ENDPOINT];
    } else {
      const graceOver = Date.now() - startedMs >= ALREADY_OPEN_GRACE_MS;
      candidates = sockets
        .filter(isListening)
        .filter((s) => !probed.has(endpointKey(s)))
        .filter((s) => graceOver || s.port === DEFAULT_INSPECTOR_PORT || !listeningBefore.has(endpointKey(s)))
        .map(connectableEndpoint);
      for (const c of candidates) probed.add(endpointKey(c));
    }
    const answers = await Promise.all(candidates.map((c) => probeInspector(c, probeLocalPorts)));
    const index = answers.findIndex((url) => url !== null);
    if (index >= 0) {
      const endpoint = candidates[index]!;
      const wasOpen = listeningBefore.has(endpointKey(endpoint));
      await checkNoOtherDebugger(pid, endpoint.port, probeLocalPorts);
      return { webSocketUrl: answers[index]!, wasOpen };
    }
    if (!(await isRunning(pid))) throw noSuchProcess(pid, 'it exited');
    if (Date.now() - startedMs > INSPECTOR_OPEN_TIMEOUT_MS) {
      throw inspectorError(
        pid,
        `its inspector did not open within ${INSPECTOR_OPEN_TIMEOUT_MS} ms of SIGUSR1 (is its inspector port taken, or SIGUSR1 handled by the program?)`,
      );
    }
    await sleep(INSPECTOR_POLL_MS);
  }
}

/** Another client's WebSocket on the inspector's port: a debugger (or another kiln) is attached. */
async function checkNoOtherDebugger(pid: number, port: number, ownLocalPorts: ReadonlySet<number>): Promise<void> {
  const sockets = await readSockets(pid);
  const others = (sockets ?? []).filter(
    (s) => s.state === TCP_ESTABLISHED && s.port === port && !ownLocalPorts.has(s.remotePort),
  );
  if (others.length > 0) {
    throw inspectorError(pid, `a debugger is already attached to its inspector on port ${port}`, { port });
  }
}

/** `webSocketDebuggerUrl` from GET /json/list, or null when the endpoint is not an inspector. */
function probeInspector(endpoint: Endpoint, localPorts: Set<number>): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        path: '/json/list',
        agent: false,
        timeout: PROBE_TIMEOUT_MS,
        headers: { connection: 'close' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > MAX_PROBE_BODY_BYTES) req.destroy();
        });
        res.on('error', () => resolve(null));
        res.on('end', () => {
          req.destroy();
          resolve(res.statusCode === 200 ? webSocketUrlOf(body) : null);
        });
      },
    );
    req.on('socket', (socket) => socket.on('connect', () => localPorts.add(socket.localPort ?? 0)));
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.on('close', () => resolve(null));
    req.end();
  });
}

function webSocketUrlOf(body: string): string | null {
  try {
    const targets = JSON.parse(body) as unknown;
    if (!Array.isArray(targets)) return null;
    for (const target of targets as Array<{ webSocketDebuggerUrl?: unknown }>) {
      if (typeof target?.webSocketDebuggerUrl === 'string') return target.webSocketDebuggerUrl;
    }
  } catch {
    // Not an inspector: some other server of the target.
  }
  return null;
}

/**
 * A process that does not catch SIGUSR1 would die of it (its default action), so signal only a
 * process that catches it, as every Node.js process with an inspector does.
 */
async function checkSignallable(pid: number): Promise<void> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw noSuchProcess(pid, 'not a process id');
  try {
    process.kill(pid, 0);
  } catch (err) {
    throw noSuchProcess(pid, errnoOf(err) === 'EPERM' ? 'this user may not signal it' : 'it does not exist');
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const caught = status?.match(/^SigCgt:\s*([0-9a-f]+)$/m)?.[1];
  if (caught !== undefined && (BigInt(`0x${caught}`) & SIGUSR1_BIT) === 0n) {
    throw inspectorError(
      pid,
      'it does not handle SIGUSR1, so it is not a Node.js process with an inspector (or runs with --disable-sigusr1); SIGUSR1 would end it',
    );
  }
}

async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
  // A zombie has exited and only waits for its parent to reap it.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadlineMs = Date.now() + timeoutMs;
  while (await isRunning(pid)) {
    if (Date.now() > deadlineMs) return false;
    await sleep(INSPECTOR_POLL_MS);
  }
  return true;
}

function inspectorError(pid: number, reason: string, details: Record<string, string | number> = {}) {
  return cliError('ERR_CLI_INSPECTOR', `cannot profile Node.js process ${pid}: ${reason}`, { pid, ...details });
}

function noSuchProcess(pid: number, reason: string) {
  return cliError('ERR_CLI_NO_SUCH_PROCESS', `no process ${pid} to attach to: ${reason}`, { pid });
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
