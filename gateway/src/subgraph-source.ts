import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { context as otelContext, propagation } from '@opentelemetry/api';
import type { GatewayContext } from './context';
import { REQUEST_ID_HEADER, WORKSPACE_HEADER } from './context';

/**
 * A subgraph reached over HTTP that carries the request's id and workspace in headers, so that
 * the subgraph's logs and storage scope match the gateway's.
 */
export function createSubgraphSource(url: string): RemoteGraphQLDataSource<GatewayContext> {
  return new RemoteGraphQLDataSource<GatewayContext>({
    url,
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
