// Generates packages/api/src/gen from the .proto files in packages/api/proto: buf lints the module,
// runs protoc-gen-es (both pinned in node_modules, no network), and prettier formats the output the
// way `prettier --check` expects. The generated code is committed; scripts/gen-api.test.ts runs
// --check so CI fails when it drifts from the protos.
//   node scripts/gen-api.mjs                  rewrite packages/api/src/gen (npm run gen:api)
//   node scripts/gen-api.mjs --check [dir]    exit 1 if dir (default packages/api/src/gen) differs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import * as prettier from 'prettier';

const rootDir = resolve(import.meta.dirname, '..');
const apiDir = join(rootDir, 'packages', 'api');
const genDir = join(apiDir, 'src', 'gen');

/** Relative paths (with /) of every file under dir, sorted; [] when dir does not exist. */
function listFiles(dir, base = dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path).split('\\').join('/')];
    })
    .sort();
}

function runBuf(args) {
  // buf.gen.yaml names the plugin `protoc-gen-es`; the local bin folder first on PATH pins its version.
  const env = { ...process.env, PATH: [join(rootDir, 'node_modules', '.bin'), process.env.PATH].join(delimiter) };
  const result = spawnSync(join(rootDir, 'node_modules', '.bin', 'buf'), args, { cwd: apiDir, env, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`buf ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
}

/** Runs the generation into a scratch folder and returns the formatted files by path relative to src/gen. */
async function generate() {
  const scratchDir = mkdtempSync(join(tmpdir(), 'kiln-gen-api-'));
  try {
    runBuf(['lint']);
    runBuf(['generate', '--output', scratchDir]);
    const outDir = join(scratchDir, 'src', 'gen');
    const files = new Map();
    for (const path of listFiles(outDir)) {
      // Format as if the file already sat at its committed path, so the repository's prettier
      // config and overrides apply exactly as `prettier --check` will apply them.
      const filepath = join(genDir, path);
      const options = await prettier.resolveConfig(filepath, { editorconfig: true });
      files.set(path, await prettier.format(readFileSync(join(outDir, path), 'utf8'), { ...options, filepath }));
    }
    return files;
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

function write(files) {
  // src/gen belongs to this script: clearing it first removes files of deleted protos.
  rmSync(genDir, { recursive: true, force: true });
  for (const [path, text] of files) {
    mkdirSync(dirname(join(genDir, path)), { recursive: true });
    writeFileSync(join(genDir, path), text);
  }
}

/** Lists how dir differs from the generated files; empty when it is up to date. */
function compare(files, dir) {
  const problems = [];
  const present = new Set(listFiles(dir));
  for (const [path, text] of files) {
    if (!present.has(path)) problems.push(`missing: ${path}`);
    else if (readFileSync(join(dir, path), 'utf8') !== text) problems.push(`differs: ${path}`);
  }
  for (const path of present) if (!files.has(path)) problems.push(`not generated: ${path}`);
  return problems;
}

const args = process.argv.slice(2);
try {
  const files = await generate();
  if (args[0] === '--check') {
    const dir = resolve(args[1] ?? genDir);
    const problems = compare(files, dir);
    if (problems.length > 0) {
      console.error(
        `${relative(rootDir, dir) || dir} is out of date with packages/api/proto:\n` +
          problems.map((p) => `  ${p}\n`).join('') +
          'Run `npm run gen:api` and commit the result.',
      );
      process.exitCode = 1;
    }
  } else if (args.length === 0) {
    write(files);
    console.log(`wrote ${files.size} files to ${relative(rootDir, genDir)}`);
  } else {
    console.error('usage: node scripts/gen-api.mjs [--check [dir]]');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
