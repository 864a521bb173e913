import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** A subgraph of the platform: where its schema lives and where it listens by default. */
export interface Subgraph {
  /** Name in the supergraph (its join__Graph value, lowercased). */
  name: string;
  /** Environment variable that overrides its URL at the gateway's start. */
  urlVariable: string;
  /** URL baked into the committed supergraph: the local port plan. */
  defaultUrl: string;
}

/** The five subgraphs, in the port plan's order (ingestion 4001 ... reporting 4005). */
export const subgraphs: readonly Subgraph[] = [
  'ingestion',
  'modeling',
  'optimization',
  'attribution',
  'reporting',
].map((name, i) => ({
  name,
  urlVariable: `${name.toUpperCase()}_URL`,
  defaultUrl: `http://127.0.0.1:${4001 + i}/graphql`,
}));

/** Where a subgraph's schema lives, relative to the repository root. */
export function schemaPath(repoRoot: string, subgraph: Subgraph): string {
  return path.join(repoRoot, 'services', subgraph.name, 'src', 'schema.graphql');
}

/** Where the committed supergraph lives, relative to the repository root. */
export function supergraphPath(repoRoot: string): string {
  return path.join(repoRoot, 'gateway', 'supergraph.graphql');
}

export type CompositionOutcome =
  | { ok: true; supergraphSdl: string }
  | { ok: false; errors: string[] };

/**
 * Composes the supergraph from the five subgraph schemas found under repoRoot.
 * A missing or unparsable schema is reported as a composition error naming its file.
 */
export function composeSupergraph(repoRoot: string): CompositionOutcome {
  const errors: string[] = [];
  const services = [];
  for (const subgraph of subgraphs) {
    const file = schemaPath(repoRoot, subgraph);
    try {
      const typeDefs = parse(readFileSync(file, 'utf8'));
      services.push({ name: subgraph.name, url: subgraph.defaultUrl, typeDefs });
    } catch (err) {
      errors.push(`${path.relative(repoRoot, file)}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const result = composeServices(services);
  if (result.errors) {
    return { ok: false, errors: result.errors.map((e) => e.message) };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl + '\n' };
}
