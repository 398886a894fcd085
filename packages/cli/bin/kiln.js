#!/usr/bin/env node
// The compiled CLI; `npm ci` builds it (the root package's prepare script runs `tsc -b`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
