#!/usr/bin/env node
// Fails when libs/platform/src/gen differs from what buf generates from proto/
// (someone changed a .proto without running `npm run proto:gen`).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// The repository root; a test passes a scratch copy as the first argument.
const root = path.resolve(process.argv[2] ?? path.resolve(__dirname, '../../..'));
const committed = path.join(root, 'libs/platform/src/gen');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-proto-'));
const buf = require.resolve('@bufbuild/buf/bin/buf');

function listFiles(dir, base = dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

try {
  execFileSync(buf, ['lint'], { cwd: root, stdio: 'inherit' });
  execFileSync(buf, ['generate', '-o', tmp], { cwd: root, stdio: 'inherit' });
  const fresh = path.join(tmp, 'libs/platform/src/gen');
  const names = new Set([...listFiles(committed), ...listFiles(fresh)]);
  const stale = [...names].filter((name) => {
    const a = path.join(committed, name);
    const b = path.join(fresh, name);
    return !fs.existsSync(a) || !fs.existsSync(b) || !fs.readFileSync(a).equals(fs.readFileSync(b));
  });
  if (stale.length > 0) {
    console.error(
      `generated protobuf code is stale (${stale.sort().join(', ')}): run npm run proto:gen`,
    );
    process.exitCode = 1;
  } else {
    console.log(`generated protobuf code is up to date (${names.size} files)`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
