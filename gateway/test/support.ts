/** A gateway over a real "callers" subgraph that echoes what it was sent, and test tokens. */
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger, startTelemetry, verifySignedIdentity } from '@mmm/platform';
import { TEST_SIGNING_SECRET } from '@mmm/platform/testkit';
import { parse } from 'graphql';
import {
  createGateway,
  signDevelopmentToken,
  type Gateway,
  type GatewayOptions,
  type TokenClaims,
} from '../src';

export const JWT_SECRET = 'gateway-test-jwt-secret-of-32-characters-or-more';

/** A token of the test issuer: an admin of default and acme unless told. */
export function token(claims: Partial<TokenClaims> = {}, secret = JWT_SECRET): Promise<string> {
  return signDevelopmentToken(
    {
      subject: 'ana',
      roles: ['admin'],
      workspaces: ['default', 'acme'],
      issuer: 'mmm-test',
      audience: 'mmm-platform',
      expiresInSeconds: 600,
      ...claims,
    },
    secret,
  );
}

// A real subgraph that answers with the headers it received, to see what the gateway forwards,
// and that can take its time, to see what a stop does to a request in flight.
export const callerTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Caller { requestId: String, workspaceId: String, traceparent: String, subject: String, role: String, next: Caller }
  type Query { caller: Caller!, slow(ms: Int!): Int!, auditEvents: [String!]!, failing: String }
  type Mutation { pullSource(ms: Int!): Int!, ingestDataset(content: String!): Int!, rename(id: ID!): String, deleteDataset(id: ID!): Boolean }
`);

export async function startCallerSubgraph() {
  const quiet = () => undefined;
  const subgraph = new ApolloServer({
    logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    schema: buildSubgraphSchema({
      typeDefs: callerTypeDefs,
      resolvers: {
        Query: {
          caller: (_: unknown, __: unknown, ctx: unknown) => {
            const { headers } = ctx as { headers: Record<string, string | undefined> };
            // What a platform subgraph would trust: the signed identity, or nothing.
            const identity = verifySignedIdentity(
              headers,
              TEST_SIGNING_SECRET,
              headers['x-request-id'] ?? '',
            );
            return {
              requestId: headers['x-request-id'],
              workspaceId: identity.workspaceId,
              traceparent: headers['traceparent'],
              subject: identity.subject,
              role: identity.role,
            };
          },
          auditEvents: () => ['recorded'],
          failing: () => {
            throw new Error('failed reading /srv/mmm/secret');
          },
          slow: async (_: unknown, args: { ms: number }) => {
            await new Promise((r) => setTimeout(r, args.ms));
            return args.ms;
          },
        },
        Caller: {
          next: (parent: unknown) => parent,
        },
        Mutation: {
          ingestDataset: (_: unknown, args: { content: string }) => args.content.length,
          // A source pull that waits on another system for this long.
          pullSource: async (_: unknown, args: { ms: number }) => {
            await new Promise((r) => setTimeout(r, args.ms));
            return args.ms;
          },
          rename: (_: unknown, args: { id: string }) => args.id,
          deleteDataset: () => true,
        },
      },
    }),
  });
  let requests = 0;
  const { url } = await startStandaloneServer(subgraph, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      requests += 1;
      return { headers: req.headers };
    },
  });
  /** requests(): how many GraphQL requests the subgraph has been sent. */
  return { url, stop: () => subgraph.stop(), requests: () => requests };
}

/** A gateway over the caller subgraph, whose supergraph URL only the override makes reachable. */
export function gatewayOver(subgraphUrl: string, options: Partial<GatewayOptions> = {}): Gateway {
  const composed = composeServices([
    { name: 'callers', url: 'http://127.0.0.1:9/graphql', typeDefs: callerTypeDefs },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  return createGateway({
    supergraphSdl: composed.supergraphSdl,
    subgraphUrls: { callers: subgraphUrl },
    auth: {
      jwtSecret: JWT_SECRET,
      issuer: 'mmm-test',
      audience: 'mmm-platform',
      clockSkewSeconds: 5,
      signingSecret: TEST_SIGNING_SECRET,
    },
    logger: createLogger('gateway-test', { level: 'silent' }),
    ...options,
  });
}

/** A running gateway over a running caller subgraph, with an admin's token and telemetry. */
export interface GatewayRig {
  url: string;
  admin: string;
  subgraph: Awaited<ReturnType<typeof startCallerSubgraph>>;
  stop(): Promise<void>;
}

export async function startGatewayRig(options: Partial<GatewayOptions> = {}): Promise<GatewayRig> {
  const telemetry = startTelemetry('gateway-test');
  const subgraph = await startCallerSubgraph();
  const gateway = gatewayOver(subgraph.url, options);
  const url = await gateway.start(0, '127.0.0.1');
  return {
    url,
    admin: await token(),
    subgraph,
    async stop() {
      await gateway.stop();
      await subgraph.stop();
      await telemetry.shutdown();
    },
  };
}
