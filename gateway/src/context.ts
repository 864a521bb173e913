import { randomUUID } from 'node:crypto';
import type { Identity } from '@mmm/platform';
import type { SubgraphHttpResponse } from './subgraph-http';

/** What the gateway knows about a request and hands on to every subgraph. */
export interface GatewayContext {
  requestId: string;
  /** The caller, acting in one of its workspaces. */
  identity: Identity;
  workspaceId: string;
  /** Size of the request body, for the per-operation body limit. */
  bodyBytes: number;
  /** When the request answers 504; an operation that may take longer moves it (door.ts). */
  deadline: RequestDeadline;
  /**
   * A subgraph's answer forwarding already received for this request (one with errors, which
   * Apollo must shape): Apollo's call to that subgraph with the same body uses it instead of
   * asking again. A field, not a side table: Apollo runs each operation on a shallow copy of
   * the context.
   */
  offeredAnswer?: OfferedAnswer;
}

export interface RequestDeadline {
  /** Moves the deadline to this long after the request arrived, if that is later. */
  extendTo(ms: number): void;
}

export interface OfferedAnswer {
  subgraph: string;
  /** The body it answered. */
  body: string;
  answer: SubgraphHttpResponse;
}

export const REQUEST_ID_HEADER = 'x-request-id';
export const WORKSPACE_HEADER = 'x-workspace-id';

// A caller's request id is reused only when it is short and printable; otherwise we mint one.
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

type HeaderSource = { get(name: string): string | undefined | null };

/** The request id a caller sent, when usable, or a fresh one. */
export function requestIdFrom(headers: HeaderSource): string {
  const sent = headers.get(REQUEST_ID_HEADER);
  return sent && REQUEST_ID.test(sent) ? sent : randomUUID();
}
