import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerPlugin,
  type HTTPGraphQLRequest,
} from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import {
  GraphQLError,
  parse,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLScalarType,
} from 'graphql';
import type { NatsConnection } from '@nats-io/nats-core';
import { BodyTooLargeError, readBody } from './http-body';
import { errorLoggingPlugin, formatError } from './errors';
import { createLogger, type Logger } from './logger';
import {
  createMetricsRegistry,
  createResolverMetrics,
  metricsText,
  resolverMetricsPlugin,
} from './metrics';
import type { Registry } from 'prom-client';
import { isNatsConnected } from './nats';
import {
  IdentityError,
  requiredRole,
  roleAtLeast,
  rootFieldNames,
  verifySignedIdentity,
  type Identity,
} from './identity';
import { isShuttingDown, onShutdown } from './shutdown';

/**
 * Resolvers of a subgraph, typed by its context. @apollo/subgraph keeps its own type of this
 * shape in an internal path; this one is checked against its public buildSubgraphSchema below.
 */
export interface GraphQLResolverMap<C = unknown> {
  [typeName: string]:
    | {
        [fieldName: string]:
          | GraphQLFieldResolver<any, C> // eslint-disable-line @typescript-eslint/no-explicit-any
          | {
              requires?: string;
              resolve?: GraphQLFieldResolver<any, C>; // eslint-disable-line @typescript-eslint/no-explicit-any
            };
      }
    | GraphQLScalarType
    | { [enumValue: string]: string | number };
}

/** The resolvers buildSubgraphSchema takes, from its public signature. */
type SubgraphModule = Extract<
  Parameters<typeof buildSubgraphSchema>[0],
  readonly unknown[]
>[number];
type SubgraphResolvers = NonNullable<
  Extract<SubgraphModule, { typeDefs: DocumentNode }>['resolvers']
>;

/** What every resolver receives. Services add their own fields through `context`. */
export interface SubgraphContext {
  /** Who calls, as the gateway signed it. */
  identity: Identity;
  /** The workspace the request acts in: the identity's. */
  workspaceId: string;
  requestId: string;
  logger: Logger;
  /** Request headers, lower-cased. */
  headers: Record<string, string>;
}

export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface SubgraphOptions<C extends SubgraphContext> {
  name: string;
  /**
   * The subgraph's schema; without it the process serves no GraphQL, only /healthz, /readyz
   * and /metrics (a worker).
   */
  typeDefs?: string | DocumentNode;
  resolvers?: GraphQLResolverMap<C>;
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 0.0.0.0 so a pod is reachable; tests pass 127.0.0.1. */
  host?: string;
  /** Adds the service's dependencies to the base context of each request. */
  context?: (base: SubgraphContext) => C | Promise<C>;
  /** /readyz answers 200 only while this connection is up (when given). */
  nats?: NatsConnection;
  /** More named checks for /readyz (e.g. "buckets" opened). */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * The secret the gateway signs identity headers with (GATEWAY_SIGNING_SECRET); required when
   * the process serves GraphQL: every request without a valid signature is refused.
   */
  signingSecret?: string;
  logger?: Logger;
  registry?: Registry;
  /**
   * Extra HTTP routes (e.g. reporting's HTML pages). Return true when the
   * request was answered; otherwise the kit answers 404.
   */
  http?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Register the HTTP server and Apollo with onShutdown; default true. */
  registerShutdown?: boolean;
  /** Largest request body in bytes (datasets arrive inside mutations); default 50 MiB. */
  maxBodyBytes?: number;
  /**
   * On stop, how long /readyz answers 503 before the listener closes, so that a load balancer
   * sees the pod leave before its connections are refused (SHUTDOWN_READY_GRACE_MS); default 0.
   */
  shutdownReadyGraceMs?: number;
}

export interface Subgraph {
  readonly url: string;
  readonly port: number;
  readonly server: http.Server;
  /** Null for a process that serves no GraphQL (a worker). */
  readonly apollo: ApolloServer<SubgraphContext> | null;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Stops taking requests, lets in-flight ones finish, stops Apollo. */
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 50 * 1024 * 1024;

function measuredFields(resolvers: GraphQLResolverMap<never>): Set<string> {
  const fields = new Set<string>();
  for (const [type, map] of Object.entries(resolvers)) {
    if (!map || typeof map !== 'object' || map.constructor?.name === 'GraphQLScalarType') continue;
    for (const [field, value] of Object.entries(map)) {
      if (
        typeof value === 'function' ||
        (typeof value === 'object' && value && 'resolve' in value)
      ) {
        fields.add(`${type}.${field}`);
      }
    }
  }
  return fields;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Checks every root field of an operation against the caller's role again (the gateway did
 * first): a subgraph that is somehow reached with a viewer's signed identity still refuses a
 * mutation.
 */
function rolePlugin(): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (!operation) return;
          for (const field of rootFieldNames(operation, document)) {
            const needed = requiredRole(operation.operation, field);
            if (!roleAtLeast(contextValue.identity.role, needed)) {
              throw new GraphQLError(
                `Forbidden: ${field} needs the ${needed} role; the caller is ${contextValue.identity.role}.`,
                { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
              );
            }
          }
        },
      };
    },
  };
}

/**
 * Serves a federation subgraph over node's http server, with /metrics,
 * /healthz and /readyz beside /graphql. Each request runs in a server span
 * that continues the caller's trace (traceparent header).
 */
export async function startSubgraph<C extends SubgraphContext>(
  options: SubgraphOptions<C>,
): Promise<Subgraph> {
  const logger = options.logger ?? createLogger(options.name);
  const registry = options.registry ?? createMetricsRegistry(options.name);
  const metrics = createResolverMetrics(registry);
  const signingSecret = options.signingSecret;
  if (options.typeDefs && !signingSecret) {
    throw new Error(
      `${options.name}: GATEWAY_SIGNING_SECRET is required to serve GraphQL (subgraphs trust only the gateway's signature)`,
    );
  }
  const typeDefs =
    typeof options.typeDefs === 'string' ? parse(options.typeDefs) : options.typeDefs;
  const resolvers = options.resolvers ?? {};

  const apollo = typeDefs
    ? new ApolloServer<SubgraphContext>({
        schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as SubgraphResolvers }]),
        formatError,
        includeStacktraceInErrorResponses: false,
        // The kit owns SIGTERM (onShutdown/handleSignals); Apollo's own handler
        // would re-raise the signal and kill the process before hooks finish.
        stopOnTerminationSignals: false,
        introspection: true,
        plugins: [
          // Federated tracing (ftv1) is for Apollo Studio, which the platform does not use.
          ApolloServerPluginInlineTraceDisabled(),
          rolePlugin(),
          resolverMetricsPlugin(metrics, measuredFields(resolvers as GraphQLResolverMap<never>)),
          // formatError hides what failed from the client: the log keeps it.
          errorLoggingPlugin(logger),
        ],
        logger: {
          debug: (m) => logger.debug(String(m)),
          info: (m) => logger.info(String(m)),
          warn: (m) => logger.warn(String(m)),
          error: (m) => logger.error(String(m)),
        },
      })
    : null;
  await apollo?.start();

  let stopping = false;
  const readiness = async () => {
    const checks: Record<string, boolean> = {};
    if (options.nats) checks.nats = isNatsConnected(options.nats);
    for (const [name, check] of Object.entries(options.readiness ?? {})) {
      try {
        checks[name] = Boolean(await check());
      } catch {
        checks[name] = false;
      }
    }
    if (stopping || isShuttingDown()) checks.shutdown = false;
    return { ready: Object.values(checks).every(Boolean), checks };
  };

  const buildContext = async (headers: Record<string, string>) => {
    const requestId = headers['x-request-id'] || randomUUID();
    let identity: Identity;
    try {
      identity = verifySignedIdentity(
        headers,
        signingSecret as string,
        headers['x-request-id'] ?? '',
      );
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      logger.warn('request refused: no valid gateway signature', { reason: error.message });
      throw new GraphQLError(`Unauthenticated: ${error.message}.`, {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    const workspaceId = identity.workspaceId;
    const base: SubgraphContext = {
      identity,
      workspaceId,
      requestId,
      headers,
      logger: logger.child({ request_id: requestId, workspace_id: workspaceId }),
    };
    return options.context ? await options.context(base) : base;
  };

  const graphql = async (
    apollo: ApolloServer<SubgraphContext>,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ) => {
    const headers = headerRecord(req);
    const parent = propagation.extract(context.active(), headers);
    const tracer = trace.getTracer('@mmm/platform');
    await tracer.startActiveSpan(
      `${req.method} /graphql`,
      { kind: SpanKind.SERVER, attributes: { 'service.name': options.name } },
      parent,
      async (span) => {
        try {
          const headerMap = new HeaderMap();
          for (const [key, value] of Object.entries(headers)) headerMap.set(key, value);
          let body: unknown = undefined;
          if (req.method === 'POST') {
            const text = await readBody(req, options.maxBodyBytes ?? MAX_BODY_BYTES);
            try {
              body = text ? JSON.parse(text) : {};
            } catch {
              send(res, 400, JSON.stringify({ errors: [{ message: 'body is not valid JSON' }] }));
              return;
            }
          }
          const request: HTTPGraphQLRequest = {
            method: req.method ?? 'GET',
            headers: headerMap,
            search: url.search,
            body,
          };
          const response = await apollo.executeHTTPGraphQLRequest({
            httpGraphQLRequest: request,
            context: () => buildContext(headers),
          });
          const outHeaders: Record<string, string> = {};
          for (const [key, value] of response.headers) outHeaders[key] = value;
          if (headers['x-request-id']) outHeaders['x-request-id'] = headers['x-request-id'];
          res.writeHead(response.status ?? 200, outHeaders);
          if (response.body.kind === 'complete') {
            res.end(response.body.string);
          } else {
            for await (const chunk of response.body.asyncIterator) res.write(chunk);
            res.end();
          }
          span.setAttribute('http.response.status_code', response.status ?? 200);
        } catch (error) {
          if (error instanceof BodyTooLargeError) {
            span.setAttribute('http.response.status_code', 413);
            send(res, 413, JSON.stringify({ errors: [{ message: error.message }] }));
            return;
          }
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          logger.error('request failed', { error: error as Error });
          if (!res.headersSent) {
            send(res, 500, JSON.stringify({ errors: [{ message: 'Internal server error' }] }));
          } else {
            res.end();
          }
        } finally {
          span.end();
        }
      },
    );
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = async () => {
      switch (url.pathname) {
        case '/healthz':
          return send(res, 200, JSON.stringify({ status: 'ok', service: options.name }));
        case '/readyz': {
          const state = await readiness();
          return send(res, state.ready ? 200 : 503, JSON.stringify(state));
        }
        case '/metrics':
          return send(res, 200, await metricsText(registry), registry.contentType);
        case '/':
        case '/graphql':
          if (apollo) return graphql(apollo, req, res, url);
          return send(res, 404, JSON.stringify({ error: 'this process serves no GraphQL' }));
        default:
          if (options.http && (await options.http(req, res))) return;
          return send(res, 404, JSON.stringify({ error: 'not found' }));
      }
    };
    route().catch((error: unknown) => {
      logger.error('http handler failed', { error: String(error) });
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal error' }));
    });
  });
  // Node's default keeps idle sockets for 5 s; shorter lets shutdown finish quickly.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  // A worker serves no GraphQL: its URL is the server itself.
  const url = apollo ? `http://${host}:${port}/graphql` : `http://${host}:${port}`;

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // /readyz answers 503 from now on; the listener stays open for the grace period.
      stopping = true;
      const grace = options.shutdownReadyGraceMs ?? 0;
      if (grace > 0) {
        logger.info('not ready; closing the listener after the grace period', { grace_ms: grace });
        await new Promise((resolve) => setTimeout(resolve, grace));
      }
      await new Promise<void>((resolve) => {
        // Keep-alive sockets (the gateway's) become idle once their request
        // is answered; close them as they do instead of waiting for the timeout.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
      await apollo?.stop();
    })();
    return stopped;
  };
  if (options.registerShutdown ?? true) onShutdown(`${options.name} http`, stop, 'http');
  logger.info(apollo ? 'subgraph listening' : 'health and metrics listening', { url, port });
  return {
    url,
    port,
    server,
    apollo: apollo as ApolloServer<SubgraphContext> | null,
    registry,
    logger,
    stop,
  };
}
