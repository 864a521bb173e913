import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { context as otelContext, propagation } from '@opentelemetry/api';
import { signedIdentityHeaders } from '@mmm/platform';
import type { GatewayContext, OfferedAnswer } from './context';
import { REQUEST_ID_HEADER, WORKSPACE_HEADER } from './context';
import { SubgraphUnavailableError } from './errors';
import { postToSubgraph, type SubgraphHttpResponse } from './subgraph-http';

/** The few parts of a fetch Response that Apollo's data source reads from a subgraph answer. */
function fetcherResponse(url: string, answer: SubgraphHttpResponse): FetcherResponse {
  const header = (name: string) => {
    const value = answer.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  const headers = {
    get: header,
    has: (name: string) => header(name) !== null,
    *entries() {
      for (const [k, v] of Object.entries(answer.headers)) {
        if (v !== undefined) yield [k, Array.isArray(v) ? v.join(', ') : v] as [string, string];
      }
    },
  };
  const response = {
    bodyUsed: false,
    url,
    redirected: false,
    status: answer.status,
    ok: answer.status >= 200 && answer.status < 300,
    statusText: answer.statusText,
    headers: {
      ...headers,
      keys: () => Object.keys(answer.headers)[Symbol.iterator](),
      values: () => Array.from(headers.entries(), ([, v]) => v)[Symbol.iterator](),
      [Symbol.iterator]: () => headers.entries(),
      append: () => undefined,
      delete: () => undefined,
      set: () => undefined,
    },
    text: () => Promise.resolve(answer.body),
    json: () => Promise.resolve(JSON.parse(answer.body) as unknown),
    arrayBuffer: () => Promise.resolve(new TextEncoder().encode(answer.body).buffer),
    clone: () => response,
  };
  return response as unknown as FetcherResponse;
}

// The offered answer for the subgraph call in progress, seen by that call's fetcher only.
const offeredForCall = new AsyncLocalStorage<OfferedAnswer>();

class SubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly subgraph: string,
    url: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
  ) {
    super({ ...config, url });
    const post = subgraphFetcher(url);
    this.fetcher = (requestUrl, init) => {
      const offered = offeredForCall.getStore();
      if (offered && offered.body === init?.body) {
        return Promise.resolve(fetcherResponse(requestUrl, offered.answer));
      }
      return post(requestUrl, init);
    };
  }

  override process(
    options: Parameters<RemoteGraphQLDataSource<GatewayContext>['process']>[0],
  ): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const context = options.context as Partial<GatewayContext> | undefined;
    const offered = context?.offeredAnswer;
    if (!context || offered?.subgraph !== this.subgraph) return super.process(options);
    // Once: a plan that called the subgraph twice would not have been forwarded.
    delete context.offeredAnswer;
    return offeredForCall.run(offered, () => super.process(options));
  }

  override didEncounterError(error: Error): void {
    // A GraphQLError is the subgraph's answer; anything else means it did not answer at all.
    if (error instanceof GraphQLError) throw error;
    throw new SubgraphUnavailableError(this.subgraph, error);
  }
}

/** Apollo's fetcher interface over postToSubgraph (see subgraph-http.ts for why). */
function subgraphFetcher(url: string): Fetcher {
  const target = new URL(url);
  return async (requestUrl, init) => {
    const answer = await postToSubgraph(
      requestUrl === url ? target : new URL(requestUrl),
      init?.headers ?? {},
      typeof init?.body === 'string' ? init.body : (init?.body?.toString('utf8') ?? ''),
    );
    return fetcherResponse(requestUrl, answer);
  };
}

/**
 * The headers of a call to a subgraph on behalf of a request: its id, workspace and the caller's
 * identity signed with the shared secret, and the active span's traceparent (the gateway's fetch
 * span), which joins the subgraph's spans to the caller's trace.
 */
export function subgraphRequestHeaders(
  context: GatewayContext,
  signingSecret: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [REQUEST_ID_HEADER]: context.requestId,
    [WORKSPACE_HEADER]: context.workspaceId,
    ...signedIdentityHeaders(context.identity, signingSecret, context.requestId),
  };
  propagation.inject(otelContext.active(), headers);
  return headers;
}

/**
 * A subgraph reached over HTTP that carries the request's id and the caller's identity and
 * workspace in headers signed with the shared secret: the subgraph trusts only those, so its
 * logs and storage scope match the gateway's.
 */
export function createSubgraphSource(
  name: string,
  url: string,
  signingSecret: string,
): RemoteGraphQLDataSource<GatewayContext> {
  return new SubgraphSource(name, url, {
    willSendRequest({ request, context }) {
      // Health checks and schema loads carry no caller context.
      if (!request.http || !context.requestId) return;
      const headers = subgraphRequestHeaders(context as GatewayContext, signingSecret);
      for (const [key, value] of Object.entries(headers)) request.http.headers.set(key, value);
    },
  });
}
