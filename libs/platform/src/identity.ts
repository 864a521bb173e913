/**
 * Who is calling, as the gateway hands it to the subgraphs: the caller's subject, role and the
 * one workspace the request acts in, in headers signed with an HMAC over those headers, the
 * request id and a timestamp. A subgraph trusts nothing else (DESIGN: subgraphs trust only the
 * gateway), and checks the role of every mutation again (defence in depth).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DocumentNode, OperationDefinitionNode, SelectionSetNode } from 'graphql';

/** Ordered: each role may do what the ones before it may. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The highest of several roles (a token may list more than one); undefined for none. */
export function highestRole(roles: readonly Role[]): Role | undefined {
  let best: Role | undefined;
  for (const role of roles) if (!best || roleAtLeast(role, best)) best = role;
  return best;
}

/**
 * Mutations above the analyst's reach: removing data, changing what production serves, and
 * holding other systems' credentials. Every other mutation needs an analyst; queries a viewer.
 */
export const MUTATION_ROLES: Readonly<Record<string, Role>> = {
  deleteDataset: 'admin',
  promoteModel: 'admin',
  connectSource: 'admin',
};

/** Query fields only admins may read. */
export const QUERY_ROLES: Readonly<Record<string, Role>> = {
  auditEvents: 'admin',
};

/** The role a root field of an operation needs. */
export function requiredRole(
  operation: 'query' | 'mutation' | 'subscription',
  field: string,
): Role {
  if (operation === 'query') return QUERY_ROLES[field] ?? 'viewer';
  return MUTATION_ROLES[field] ?? 'analyst';
}

/**
 * The root fields an operation runs, through inline fragments and fragment spreads (`... on
 * Mutation { deleteDataset }` runs deleteDataset as surely as writing it plainly), without the
 * introspection fields. Every role and limit rule reads them here.
 */
export function rootFieldNames(
  operation: OperationDefinitionNode,
  document: DocumentNode,
): string[] {
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === 'FragmentDefinition' ? [[d.name.value, d.selectionSet] as const] : [],
    ),
  );
  const names = new Set<string>();
  const visited = new Set<string>();
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === 'Field') {
        if (!selection.name.value.startsWith('__')) names.add(selection.name.value);
      } else if (selection.kind === 'InlineFragment') {
        collect(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment);
      }
    }
  };
  collect(operation.selectionSet);
  return [...names];
}

/** Mutations that carry whole files and so may exceed the ordinary body limit. */
export const UPLOAD_MUTATIONS: ReadonlySet<string> = new Set(['ingestDataset', 'ingestJourneys']);

/**
 * Mutations that wait on an outside system (an ad platform's report run, a database) and so may
 * outlast the ordinary request timeout: the gateway gives them its pull timeout.
 */
export const SOURCE_PULL_MUTATIONS: ReadonlySet<string> = new Set(['pullSource']);

export interface Identity {
  /** The token's subject (a person or an integration), or `service:<name>` for the platform's own calls. */
  subject: string;
  role: Role;
  workspaceId: string;
}

export const IDENTITY_HEADER = 'x-mmm-identity';
export const IDENTITY_TIMESTAMP_HEADER = 'x-mmm-identity-ts';
export const IDENTITY_SIGNATURE_HEADER = 'x-mmm-identity-signature';
/** A signed request older (or newer) than this is refused: a captured one cannot be replayed later. */
export const SIGNATURE_WINDOW_MS = 60_000;

const WORKSPACE = /^[-_a-zA-Z0-9]{1,64}$/;
const SUBJECT = /^[\x20-\x7e]{1,256}$/;

/** Why a request's identity headers were refused; the message names what is wrong. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

function mac(secret: string, timestamp: string, requestId: string, identity: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}\n${requestId}\n${identity}`).digest();
}

/** The headers that carry an identity to a subgraph, for one request id. */
export function signedIdentityHeaders(
  identity: Identity,
  secret: string,
  requestId: string,
  now = Date.now(),
): Record<string, string> {
  const payload = Buffer.from(
    JSON.stringify({ sub: identity.subject, role: identity.role, ws: identity.workspaceId }),
  ).toString('base64url');
  const timestamp = String(now);
  return {
    [IDENTITY_HEADER]: payload,
    [IDENTITY_TIMESTAMP_HEADER]: timestamp,
    [IDENTITY_SIGNATURE_HEADER]: mac(secret, timestamp, requestId, payload).toString('base64url'),
  };
}

/**
 * The identity of a request whose headers the gateway signed; an IdentityError when a header is
 * missing, the signature does not match (another secret, a changed header or request id), or
 * the timestamp is outside the window.
 */
export function verifySignedIdentity(
  headers: Readonly<Record<string, string | undefined>>,
  secret: string,
  requestId: string,
  now = Date.now(),
): Identity {
  const payload = headers[IDENTITY_HEADER];
  const timestamp = headers[IDENTITY_TIMESTAMP_HEADER];
  const signature = headers[IDENTITY_SIGNATURE_HEADER];
  if (!payload || !timestamp || !signature) {
    throw new IdentityError('the request carries no signed identity (only the gateway may call)');
  }
  if (!/^\d{1,16}$/.test(timestamp))
    throw new IdentityError('the identity timestamp is not a time');
  const expected = mac(secret, timestamp, requestId, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new IdentityError('the identity signature does not match');
  }
  if (Math.abs(now - Number(timestamp)) > SIGNATURE_WINDOW_MS) {
    throw new IdentityError('the signed identity is outside its time window (replayed or stale)');
  }
  let claims: { sub?: unknown; role?: unknown; ws?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw new IdentityError('the identity header is not JSON');
  }
  if (typeof claims.sub !== 'string' || !SUBJECT.test(claims.sub)) {
    throw new IdentityError('the identity has no valid subject');
  }
  if (!isRole(claims.role)) throw new IdentityError('the identity has no valid role');
  if (typeof claims.ws !== 'string' || !WORKSPACE.test(claims.ws)) {
    throw new IdentityError('the identity has no valid workspace');
  }
  return { subject: claims.sub, role: claims.role, workspaceId: claims.ws };
}
