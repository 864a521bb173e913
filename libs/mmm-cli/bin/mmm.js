#!/usr/bin/env node
'use strict';
// The `mmm` command as npm links it (node_modules/.bin/mmm): runs the compiled CLI, and on a
// fresh clone, where `npm ci` has installed but nothing is built yet, builds it first. Plain
// JavaScript, so that it exists before any build.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const pkg = path.resolve(__dirname, '..');
const main = path.join(pkg, 'dist', 'src', 'main.js');

if (!fs.existsSync(main)) {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [pkg] });
  } catch {
    process.stderr.write(
      'mmm: not built, and TypeScript is not installed: run `npm ci` then `npm run build`\n',
    );
    process.exit(1);
  }
  process.stderr.write('mmm: first run: building the command (tsc --build libs/mmm-cli) ...\n');
  // The compiler's output goes to stderr: stdout stays the command's (e.g. --json).
  const build = spawnSync(process.execPath, [tsc, '--build', pkg], { stdio: ['ignore', 2, 2] });
  if (build.status !== 0 || !fs.existsSync(main)) {
    process.stderr.write('mmm: the build failed: run `npm run build` to see why\n');
    process.exit(1);
  }
}
require(main);
