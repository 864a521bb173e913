import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { context as otelContext, propagation } from '@opentelemetry/api';
import type { GatewayContext } from './context';
import { REQUEST_ID_HEADER, WORKSPACE_HEADER } from './context';
import { SubgraphUnavailableError } from './errors';

class SubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly subgraph: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
  ) {
    super(config);
  }

  override didEncounterError(error: Error): void {
    // A GraphQLError is the subgraph's answer; anything else means it did not answer at all.
    if (error instanceof GraphQLError) throw error;
    throw new SubgraphUnavailableError(this.subgraph, error);
  }
}

/**
 * A subgraph reached over HTTP that carries the request's id and workspace in headers, so that
 * the subgraph's logs and storage scope match the gateway's.
 */
export function createSubgraphSource(
  name: string,
  url: string,
): RemoteGraphQLDataSource<GatewayContext> {
  return new SubgraphSource(name, {
    url,
    // Node's own fetch (undici: keep-alive pool, TCP_NODELAY, one write per request) instead of
    // Apollo's default make-fetch-happen, a caching fetch for npm whose agent checks every
    // request with a stack trace and left the gateway idle waiting on its sockets.
    fetcher: fetch as unknown as NonNullable<
      ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0]
    >['fetcher'],
    willSendRequest({ request, context }) {
      // Health checks and schema loads carry no caller context.
      if (!request.http || !context.requestId) return;
      request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
      request.http.headers.set(WORKSPACE_HEADER, context.workspaceId);
      // The gateway's fetch span is active here: its traceparent joins the subgraph's spans.
      const headers = request.http.headers;
      propagation.inject(otelContext.active(), headers, {
        set: (carrier, key, value) => carrier.set(key, value),
      });
    },
  });
}
