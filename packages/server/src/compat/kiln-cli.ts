// The `kiln` command run from its TypeScript sources (`node --conditions=source --import tsx
// kiln-cli.ts server ...`), for tests that start a real server process. packages/cli/bin/kiln.js
// runs the compiled dist/, which may be stale, and packages/cli/src/main.ts only exports main().
import { main } from '@kiln/cli';

process.exitCode = await main(process.argv.slice(2));
