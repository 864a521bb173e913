#!/usr/bin/env node
import { runCli } from './cli';
import { cliEnvironment } from './config';

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
  env: cliEnvironment(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mmm: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
