#!/usr/bin/env node
import { runCli } from './cli';

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mmm: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
