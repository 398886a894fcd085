import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, childEnv } from './kiln-process.js';

export const SDK_APP = join(import.meta.dirname, 'sdk-app.mjs');

/** One upload of the SDK, as sdk-app.mjs's fetch wrapper saw it. */
export interface SdkUpload {
  url: string;
  /** `bytes` (a raw body, 0.6.x) or `multipart` (FormData, 0.4.x). */
  bodyKind: string;
  /** The uploaded gzip pprof, saved by sdk-app.mjs. */
  file: string;
  status: number;
  text: string;
}

export interface SdkRun {
  uploads: SdkUpload[];
  startedMs: number;
  stoppedMs: number;
  /** Arrays allocRetained kept, and their length. */
  chunks: number;
  chunkLength: number;
  /** The SDK's debug log (DEBUG=pyroscope*). */
  stderr: string;
}

export interface SdkAppOptions {
  sdkVersion: '0.6.4' | '0.4.13';
  serverUrl: string;
  appName: string;
  runMs: number;
  flushIntervalMs: number;
  /** Where sdk-app.mjs saves the uploaded profiles. */
  uploadDir: string;
}

/** Runs sdk-app.mjs with plain `node` until it exits, and returns what it reported. */
export function runSdkApp(options: SdkAppOptions): Promise<SdkRun> {
  const child = spawn(process.execPath, [SDK_APP], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({
      KILN_COMPAT_SDK: options.sdkVersion,
      KILN_COMPAT_RUN_MS: String(options.runMs),
      KILN_COMPAT_UPLOAD_DIR: options.uploadDir,
      // The SDK's own environment variables (utils/get-env.js of both versions).
      PYROSCOPE_SERVER_ADDRESS: options.serverUrl,
      PYROSCOPE_APPLICATION_NAME: options.appName,
      PYROSCOPE_FLUSH_INTERVAL_MS: String(options.flushIntervalMs),
      PYROSCOPE_WALL_COLLECT_CPU_TIME: 'true',
      DEBUG: 'pyroscope*',
    }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.runMs + 30_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { upload?: SdkUpload; done?: Omit<SdkRun, 'uploads' | 'stderr'> });
      const done = lines.find((l) => l.done)?.done;
      if (code !== 0 || !done) {
        reject(new Error(`sdk-app (${options.sdkVersion}) exited with ${code ?? signal}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ ...done, uploads: lines.flatMap((l) => (l.upload ? [l.upload] : [])), stderr });
    });
  });
}

/** The SDK's name for a function of sdk-app.mjs: `./<path from the cwd>:<name>:<line of its declaration>`. */
export function sdkFunctionName(name: string): string {
  const lines = readFileSync(SDK_APP, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.startsWith(`function ${name}(`)) + 1;
  if (line === 0) throw new Error(`sdk-app.mjs declares no function ${name}`);
  return `./${SDK_APP.slice(REPO_ROOT.length + 1)}:${name}:${line}`;
}
