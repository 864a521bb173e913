import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { errorLoggingPlugin, type Logger } from '@mmm/platform';
import type { JetStreamClient } from '@mmm/platform';
import { auditPlugin, natsAuditSink } from './audit';
import { createAuthenticator, type AuthSettings } from './auth';
import type { QueryLimits } from './config';
import type { GatewayContext } from './context';
import { createDoor, operationGuard } from './door';
import { createRateLimiter } from './rate-limit';
import { formatGatewayError, isClientSafeGatewayError, reportQueryLimit } from './errors';
import { createRequestHandler } from './http';
import { createForwarding } from './forwarding';
import { createGatewayMetrics } from './metrics';
import { createSubgraphSource } from './subgraph-source';

export interface GatewayOptions {
  /** The composed supergraph, served as is: the gateway never introspects subgraphs. */
  supergraphSdl: string;
  /** Subgraph name -> URL, replacing the supergraph's URL for that subgraph. */
  subgraphUrls?: Record<string, string>;
  /** How callers are verified, and the key the subgraphs' identity headers are signed with. */
  auth: AuthSettings;
  /** Largest body of an ordinary request; default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest body of a file upload (ingestDataset, ingestJourneys); default 50 MiB. */
  maxUploadBytes?: number;
  /** Requests per minute per caller; default 1200. */
  rateLimitPerMinute?: number;
  /** Default 30 s. */
  requestTimeoutMs?: number;
  /** The request timeout of source pulls, which wait on ad platforms and databases; default 11 min. */
  pullTimeoutMs?: number;
  /** Schema introspection; default off. */
  introspection?: boolean;
  limits?: QueryLimits;
  /** JetStream to record every mutation on (the audit trail); none in tests that do not look. */
  auditTo?: JetStreamClient;
  /** How long in-flight requests get to finish on stop before their sockets close. */
  shutdownTimeoutMs?: number;
  /**
   * How long /readyz answers 503 before the listener closes on stop, so that a load balancer
   * sees the gateway leave before connections are refused; default 0.
   */
  shutdownReadyGraceMs?: number;
  logger: Logger;
}

export const DEFAULT_LIMITS: QueryLimits = {
  depth: 15,
  cost: 50_000,
  aliases: 30,
  directives: 50,
  tokens: 5_000,
};

export interface Gateway {
  /** Listens on port (0 picks a free one) and resolves with the GraphQL URL. */
  start(port: number, host?: string): Promise<string>;
  /** Stops taking requests, lets in-flight ones finish, closes the server. */
  stop(): Promise<void>;
  isReady(): boolean;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { logger } = options;
  const overrides = options.subgraphUrls ?? {};
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const metrics = createGatewayMetrics();
  const subgraphUrls = new Map<string, string>();
  const forwarding = createForwarding({
    subgraphUrls,
    signingSecret: options.auth.signingSecret,
    maxBodyBytes,
    metrics,
  });
  const apolloLogger = {
    debug: (msg: unknown) => logger.debug(String(msg)),
    info: (msg: unknown) => logger.info(String(msg)),
    warn: (msg: unknown) => logger.warn(String(msg)),
    error: (msg: unknown) => logger.error(String(msg)),
  };
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger: apolloLogger,
    buildService: ({ name, url }) => {
      const target = overrides[name] ?? url;
      if (!target) throw new Error(`Subgraph ${name} has no URL in the supergraph or environment.`);
      logger.info('subgraph', { subgraph: name, url: target });
      subgraphUrls.set(name, target);
      return createSubgraphSource(name, target, options.auth.signingSecret);
    },
    experimental_didResolveQueryPlan: ({ queryPlan, requestContext, operationContext }) =>
      forwarding.learn({
        queryPlan,
        schema: operationContext.schema,
        query: requestContext.request.query,
        operationName: requestContext.request.operationName,
        document: requestContext.document,
        operation: requestContext.operation,
        resolvedOperationName: requestContext.operationName,
      }),
  });
  const audit = options.auditTo
    ? natsAuditSink(options.auditTo, logger, metrics.auditFailed)
    : undefined;
  let ready = false;
  let httpServer: Server | undefined;
  let apollo: ApolloServer<GatewayContext> | undefined;

  return {
    isReady: () => ready,

    async start(port, host = '0.0.0.0') {
      const server = createServer();
      httpServer = server;
      const limits = options.limits ?? DEFAULT_LIMITS;
      // Depth, cost, aliases, directives and tokens are checked before planning; batched HTTP
      // requests (amplification) are refused by Apollo's default.
      // Reported as QueryLimitError rather than armor's plain error, for QUERY_TOO_COMPLEX.
      // (A fresh array each: armor may push its own handler into one.)
      const onReject = () => ({ onReject: [reportQueryLimit], propagateOnRejection: false });
      const armor = new ApolloArmor({
        maxDepth: { n: limits.depth, ...onReject() },
        costLimit: { maxCost: limits.cost, ...onReject() },
        maxAliases: { n: limits.aliases, ...onReject() },
        maxDirectives: { n: limits.directives, ...onReject() },
        // graphql-js counts tokens itself (parseOptions below); armor's lexer proxy misses them
        // with graphql 16.15.
        maxTokens: { enabled: false },
        // Field suggestions ("did you mean") would leak the schema with introspection off.
        blockFieldSuggestion: { enabled: !options.introspection },
      }).protect();
      apollo = new ApolloServer<GatewayContext>({
        gateway,
        logger: apolloLogger,
        introspection: options.introspection ?? false,
        validationRules: armor.validationRules,
        parseOptions: { maxTokens: limits.tokens },
        allowBatchedHttpRequests: false,
        // Clients get codes and messages, never stack traces.
        includeStacktraceInErrorResponses: false,
        // Nor URLs and socket errors of subgraphs: those go to the log (errorLoggingPlugin).
        formatError: formatGatewayError,
        // Shutdown is the platform's (handleSignals): Apollo's own handler would re-raise the
        // signal and kill the process before the other hooks ran.
        stopOnTerminationSignals: false,
        plugins: [
          // The platform sets no cache hints; computing a cache policy per request (and reading
          // every subgraph's Cache-Control) is work nobody uses.
          ApolloServerPluginCacheControlDisabled(),
          ApolloServerPluginUsageReportingDisabled(),
          ApolloServerPluginSchemaReportingDisabled(),
          ...armor.plugins,
          operationGuard({ maxBodyBytes, pullTimeoutMs: options.pullTimeoutMs ?? 660_000 }),
          ...(audit ? [auditPlugin(audit)] : []),
          metrics.plugin,
          errorLoggingPlugin(logger, { isClientSafe: isClientSafeGatewayError }),
          ApolloServerPluginDrainHttpServer({
            httpServer: server,
            stopGracePeriodMillis: options.shutdownTimeoutMs ?? 10_000,
          }),
        ],
      });
      await apollo.start();
      server.on(
        'request',
        createRequestHandler({
          apollo,
          forwarding,
          registry: metrics.registry,
          isReady: () => ready,
          door: createDoor(
            createAuthenticator(options.auth),
            createRateLimiter(options.rateLimitPerMinute ?? 1200),
          ),
          maxUploadBytes: Math.max(options.maxUploadBytes ?? 50 * 1024 * 1024, maxBodyBytes),
          requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
          onRefused: metrics.refused,
          logger,
        }),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      ready = true;
      const { port: bound } = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      return `http://${shownHost}:${bound}/graphql`;
    },

    async stop() {
      const wasReady = ready;
      ready = false;
      const grace = options.shutdownReadyGraceMs ?? 0;
      if (wasReady && grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
      // ApolloServer.stop drains the HTTP server (via the plugin) and stops the gateway.
      if (apollo) await apollo.stop();
      else if (httpServer?.listening) await new Promise((r) => httpServer!.close(r));
      await audit?.flush();
    },
  };
}
