import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildStandaloneHtml,
  gunzip,
  isGzip,
  parsePprof,
  serializeFlamebearer,
  serializeFolded,
  serializePprof,
  type FlamebearerProfile,
} from '@kiln/formats';
import { mergeProfiles, sumValues, type Profile } from '@kiln/model';
import { Option, type Command } from 'commander';
import { cliError } from '../cli-error.js';
import { exitLikeProgram, runProgram } from '../run-program.js';
import { runtimeOfCommand } from '../spies/choose-spy.js';
import { nodeAgentEnv, perfMapEnv, removePerfMap } from '../spies/node-agent.js';
import type { CollectedWindow } from '../spies/spy.js';
import { attachOrWarn, requireSpyProgram, spyForCommand, stopQuietly, warn } from './exec.js';
import { addSpyOptions, type SpyOptions } from './profile-options.js';

export interface AdhocOptions extends SpyOptions {
  out: string;
  name?: string;
}

/** The standalone flame graph page's script, built with the UI (packages/ui/dist/standalone). */
export function standaloneScriptPath(): string {
  return fileURLToPath(new URL('../../../ui/dist/standalone/kiln-standalone.js', import.meta.url));
}

export interface AdhocFiles {
  html: string;
  pprof: string;
  folded: string;
}

/**
 * `kiln adhoc -- CMD ARGS`: profiles one run of a program with no server and writes its CPU
 * profile as a standalone HTML flame graph, gzipped pprof and folded stacks into `--out`.
 * Node programs run Kiln's agent, which sends to a one-run receiver inside kiln on
 * 127.0.0.1; other programs are sampled by perf, austin, py-spy or rbspy.
 */
export async function adhocProfile(argv: readonly string[], options: AdhocOptions): Promise<number> {
  const [command, ...args] = argv as [string, ...string[]];
  const spy = spyForCommand(command, options.spy);
  requireSpyProgram(spy);
  const script = standaloneScriptPath();
  if (!existsSync(script)) {
    throw cliError('ERR_CLI_SPY_FAILED', `the flame graph page is not built (${script}); run \`npm run build\``);
  }
  const name = options.name ?? basename(command);
  const windows: Profile[] = [];
  let exit;
  if (spy === 'node') {
    const receiver = await startReceiver((p) => windows.push(p));
    try {
      const env = nodeAgentEnv(process.env, {
        applicationName: name,
        serverAddress: receiver.url,
        tag: {},
        sampleRateHz: options.sampleRate,
        uploadIntervalMs: options.uploadInterval,
        heap: false,
      });
      const program = await runProgram(command, args, env);
      exit = await program.exited;
    } finally {
      await receiver.close();
    }
  } else {
    const env = spy === 'perf' && runtimeOfCommand(command) === 'node' ? perfMapEnv(process.env) : process.env;
    const program = await runProgram(command, args, env);
    const session = await attachOrWarn(spy, program.pid, options, (w: CollectedWindow) => windows.push(w.profile));
    exit = await program.exited;
    await stopQuietly(session);
    if (env !== process.env) removePerfMap(program.pid);
  }
  if (windows.length === 0) {
    warn(
      cliError(
        'ERR_CLI_NO_SAMPLES',
        `no samples were taken of ${command}: it ended before the first sample, or never ran on a CPU`,
      ).message,
    );
  } else {
    const files = writeAdhocFiles(mergeProfiles(windows), name, options.out, readFileSync(script, 'utf8'));
    process.stderr.write(
      `kiln: flame graph: ${files.html}\nkiln: pprof: ${files.pprof}\nkiln: folded: ${files.folded}\n`,
    );
  }
  return exitLikeProgram(exit);
}

/** The CPU sample type to show: `cpu`, else `wall`, else the profile's default. */
export function cpuSampleType(profile: Profile): number {
  const cpu = profile.sampleTypes.findIndex((t) => t.type === 'cpu');
  if (cpu !== -1) return cpu;
  const wall = profile.sampleTypes.findIndex((t) => t.type === 'wall');
  return wall !== -1 ? wall : profile.defaultSampleType;
}

/** Writes `<name>-<time>.html`, `.pb.gz` and `.folded` into `dir`. */
export function writeAdhocFiles(profile: Profile, name: string, dir: string, script: string): AdhocFiles {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const base = join(resolve(dir), `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp}`);
  const sampleType = cpuSampleType(profile);
  const files = { html: `${base}.html`, pprof: `${base}.pb.gz`, folded: `${base}.folded` };
  const doc = JSON.parse(serializeFlamebearer(profile, { sampleType })) as FlamebearerProfile;
  const type = profile.sampleTypes[sampleType]!;
  const period = profile.periodType;
  const startMs = profile.timeNs > 0 ? Math.floor(profile.timeNs / 1e6) : null;
  const html = buildStandaloneHtml(script, {
    flamebearer: doc.flamebearer,
    metadata: {
      name,
      unit: type.unit,
      profileType: `process_cpu:${type.type}:${type.unit}:${period?.type ?? ''}:${period?.unit ?? ''}`,
      from: startMs,
      until: startMs === null ? null : startMs + Math.round(profile.durationNs / 1e6),
    },
  });
  writeFileSync(files.html, html);
  writeFileSync(files.pprof, serializePprof({ ...profile, defaultSampleType: sampleType }));
  writeFileSync(files.folded, serializeFolded(profile, { sampleType }));
  if (sumValues(profile, sampleType) === 0) warn(`the profile's ${type.type} total is 0`);
  return files;
}

interface Receiver {
  url: string;
  close(): Promise<void>;
}

/** Largest upload the one-run receiver takes (the agent's profiles are well below it). */
export const ADHOC_RECEIVER_MAX_BYTES = 64 * 1024 * 1024;

/** Takes the agent's `/ingest` uploads (gzipped pprof bodies) on 127.0.0.1 for `kiln adhoc`. */
async function startReceiver(onProfile: (profile: Profile) => void): Promise<Receiver> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= ADHOC_RECEIVER_MAX_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (size > ADHOC_RECEIVER_MAX_BYTES) throw new Error(`upload over ${ADHOC_RECEIVER_MAX_BYTES} bytes`);
        const body = Buffer.concat(chunks);
        const profile = parsePprof(isGzip(body) ? gunzip(body, 8 * ADHOC_RECEIVER_MAX_BYTES) : body);
        if (profile !== null) onProfile(profile);
        res.writeHead(200).end();
      } catch (err) {
        warn(`an upload from the agent was unreadable: ${err instanceof Error ? err.message : String(err)}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export function registerAdhoc(program: Command): void {
  const command = program
    .command('adhoc')
    .description('profile one run of a program without a server: writes an HTML flame graph, pprof and folded files')
    .argument('<command...>', 'the program and its arguments, after --')
    .usage('[options] -- <command> [args...]')
    .passThroughOptions()
    .addOption(new Option('--out <dir>', 'where the files go').default('kiln-adhoc'))
    .addOption(
      new Option('--name <name>', "the files' name and the flame graph's title (default: the program's name)"),
    );
  addSpyOptions(command).action(async (argv: string[], opts: AdhocOptions) => {
    process.exitCode = await adhocProfile(argv, opts);
  });
}
