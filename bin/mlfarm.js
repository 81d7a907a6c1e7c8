#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import { main } from '../dist/apps/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // gRPC channels and timers of the embedded farm are closed; exit promptly if a handle lingers.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error) => {
    process.stderr.write(`mlfarm: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
