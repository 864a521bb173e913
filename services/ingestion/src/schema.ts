import fs from 'node:fs';
import path from 'node:path';

/**
 * The subgraph's SDL. src/schema.graphql is the one truth (the gateway composes
 * from it); this finds it next to this module under ts-jest, and from dist/src
 * once compiled.
 */
export function loadTypeDefs(): string {
  const candidates = [
    path.join(__dirname, 'schema.graphql'),
    path.join(__dirname, '..', '..', 'src', 'schema.graphql'),
  ];
  for (const file of candidates) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  }
  throw new Error(`schema.graphql not found (looked in ${candidates.join(', ')})`);
}
