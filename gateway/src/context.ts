import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';

/** What the gateway knows about a request and hands on to every subgraph. */
export interface GatewayContext {
  requestId: string;
  workspaceId: string;
}

export const REQUEST_ID_HEADER = 'x-request-id';
export const WORKSPACE_HEADER = 'x-workspace-id';

// Workspace ids become parts of storage keys in the subgraphs: keep them to a safe alphabet.
const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/;
// A caller's request id is reused only when it is short and printable; otherwise we mint one.
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

type HeaderSource = { get(name: string): string | undefined | null };

/** The request id a caller sent, when usable, or a fresh one. */
export function requestIdFrom(headers: HeaderSource): string {
  const sent = headers.get(REQUEST_ID_HEADER);
  return sent && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/**
 * Builds the context of one request. Until identities arrive the workspace is the one the caller
 * names in x-workspace-id, or the default one.
 */
export function contextFrom(
  headers: HeaderSource,
  requestId: string,
  defaultWorkspace: string,
): GatewayContext {
  const workspaceId = headers.get(WORKSPACE_HEADER) ?? defaultWorkspace;
  if (!WORKSPACE_ID.test(workspaceId)) {
    throw new GraphQLError(
      `Header ${WORKSPACE_HEADER} must be 1 to 64 letters, digits, '-' or '_'.`,
      { extensions: { code: 'BAD_USER_INPUT', field: WORKSPACE_HEADER, http: { status: 400 } } },
    );
  }
  return { requestId, workspaceId };
}
