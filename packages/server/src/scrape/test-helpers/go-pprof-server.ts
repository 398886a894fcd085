import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { testdata } from '../../test-helpers/testdata.js';

export interface GoPprofServer {
  port: number;
  address: string;
  stop(): Promise<void>;
}

/**
 * Builds testdata/scrape/go-pprof-server (Debian's `go`, GOPATH mode, cache in a temp dir)
 * and runs it: a real Go program serving net/http/pprof while it burns CPU in
 * `main.kilnScrapeHotLoop`.
 */
export async function startGoPprofServer(): Promise<GoPprofServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-go-pprof-'));
  const binary = join(dir, 'go-pprof-server');
  const build = spawnSync('go', ['build', '-o', binary, testdata('scrape', 'go-pprof-server', 'main.go')], {
    env: { ...process.env, GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath'), GO111MODULE: 'off' },
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`go build failed: ${build.stderr || build.error?.message}`);
  const child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`unexpected output from the Go server: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`the Go server exited with ${code}`)));
  });
  return {
    port,
    address: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
