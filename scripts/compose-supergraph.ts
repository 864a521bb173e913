// Composes gateway/supergraph.graphql from the five subgraph schemas.
//   node dist/scripts/compose-supergraph.js           write the file
//   node dist/scripts/compose-supergraph.js --check   fail if composition fails or the file is stale
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeSupergraph, supergraphPath } from '@mmm/gateway';
import { repoRoot } from './paths';

function main(): number {
  const check = process.argv.includes('--check');
  const outcome = composeSupergraph(repoRoot);
  if (!outcome.ok) {
    console.error('Supergraph composition failed:');
    for (const error of outcome.errors) console.error(`  - ${error}`);
    return 1;
  }
  const file = supergraphPath(repoRoot);
  const shown = path.relative(repoRoot, file);
  if (check) {
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (committed !== outcome.supergraphSdl) {
      console.error(`${shown} is stale: run \`npm run compose\` and commit it.`);
      return 1;
    }
    console.log(`${shown} is up to date.`);
    return 0;
  }
  writeFileSync(file, outcome.supergraphSdl);
  console.log(`Wrote ${shown}.`);
  return 0;
}

process.exitCode = main();
