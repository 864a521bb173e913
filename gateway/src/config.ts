import path from 'node:path';
import {
  ConfigError,
  integerBetween,
  loadConfig,
  milliseconds,
  parseConfig,
  type Config,
  type LogLevel,
} from '@mmm/platform';
import { z } from 'zod';

function bytes(fallback: number) {
  const expected = 'must be a positive integer (bytes)';
  return z.coerce
    .number({ invalid_type_error: expected })
    .int(expected)
    .positive(expected)
    .default(fallback);
}

const URL_EXPECTED = 'must be an http(s) URL such as http://127.0.0.1:4001/graphql';
// zod's url() accepts any scheme ("modeling:4002" parses): insist on http(s).
const url = z
  .string()
  .url(URL_EXPECTED)
  .regex(/^https?:\/\/[^/\s]+/, URL_EXPECTED);

/** The gateway's own variables, on top of the platform's (PORT, LOG_LEVEL, DEFAULT_WORKSPACE...). */
const gatewayVariables = {
  /** The composed supergraph to serve; the committed gateway/supergraph.graphql by default. */
  SUPERGRAPH_PATH: z.string().min(1, 'must be a file path').optional(),
  /** Largest GraphQL request body in bytes, but for file uploads. */
  MAX_BODY_BYTES: bytes(1024 * 1024),
  /** Largest body of a file upload (ingestDataset, ingestJourneys): datasets arrive inline. */
  MAX_UPLOAD_BYTES: bytes(50 * 1024 * 1024),
  /** HS256 secret of locally minted tokens (npm start writes one); at least 32 characters. */
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** The identity provider's JWKS, for RS256/ES256 tokens. */
  AUTH_JWKS_URL: url.optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_CLOCK_SKEW_S: integerBetween(0, 600, 30),
  /** Requests per minute per caller (token subject) before 429. */
  RATE_LIMIT_PER_MINUTE: integerBetween(1, 10_000_000, 1200),
  /** A request still running after this answers 504. */
  REQUEST_TIMEOUT_MS: milliseconds(30_000),
  /**
   * The same for pullSource, which waits on an ad platform or a database (Meta's async report
   * runs poll for up to 10 min by default: META_MAX_POLLS x META_POLL_INTERVAL_MS), and a minute
   * more for the pages, retries and the write.
   */
  PULL_TIMEOUT_MS: milliseconds(660_000),
  /** Schema introspection: off unless asked (npm start turns it on locally). */
  INTROSPECTION: z.enum(['true', 'false']).default('false'),
  MAX_QUERY_DEPTH: integerBetween(1, 100, 15),
  MAX_QUERY_COST: integerBetween(1, 10_000_000, 50_000),
  MAX_ALIASES: integerBetween(0, 1000, 30),
  MAX_DIRECTIVES: integerBetween(0, 1000, 50),
  MAX_TOKENS: integerBetween(1, 1_000_000, 5_000),
  // Where each subgraph listens, when not at the supergraph's http://127.0.0.1:400x/graphql.
  INGESTION_URL: url.optional(),
  MODELING_URL: url.optional(),
  OPTIMIZATION_URL: url.optional(),
  ATTRIBUTION_URL: url.optional(),
  REPORTING_URL: url.optional(),
};

export interface GatewayConfig {
  port: number;
  serviceName: string;
  logLevel: LogLevel;
  defaultWorkspace: string;
  supergraphPath: string;
  maxBodyBytes: number;
  maxUploadBytes: number;
  auth: {
    jwtSecret?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
    clockSkewSeconds: number;
  };
  /** The HMAC key of the identity headers sent to the subgraphs. */
  signingSecret: string;
  /** NATS, for the audit trail. */
  natsUrl: string;
  rateLimitPerMinute: number;
  requestTimeoutMs: number;
  pullTimeoutMs: number;
  introspection: boolean;
  limits: QueryLimits;
  shutdownTimeoutMs: number;
  /** How long /readyz answers 503 at shutdown before the listener closes. */
  shutdownReadyGraceMs: number;
  /** Subgraph name -> URL, for the subgraphs whose URL the environment overrides. */
  subgraphUrls: Record<string, string>;
}

/** What a query may ask for before it is refused with QUERY_TOO_COMPLEX. */
export interface QueryLimits {
  depth: number;
  cost: number;
  aliases: number;
  directives: number;
  tokens: number;
}

type GatewayEnv = Config<typeof gatewayVariables>;

function fromEnv(env: GatewayEnv): GatewayConfig {
  const overrides: Record<string, string | undefined> = {
    ingestion: env.INGESTION_URL,
    modeling: env.MODELING_URL,
    optimization: env.OPTIMIZATION_URL,
    attribution: env.ATTRIBUTION_URL,
    reporting: env.REPORTING_URL,
  };
  const subgraphUrls: Record<string, string> = {};
  for (const [name, value] of Object.entries(overrides)) if (value) subgraphUrls[name] = value;
  if (!env.GATEWAY_SIGNING_SECRET) {
    throw new ConfigError(
      'GATEWAY_SIGNING_SECRET',
      'is required (the HMAC key shared with the subgraphs; at least 32 characters)',
      undefined,
    );
  }
  if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'or AUTH_JWKS_URL is required (how caller tokens are verified)',
      undefined,
    );
  }
  return {
    port: env.PORT ?? 4000,
    serviceName: env.SERVICE_NAME ?? 'gateway',
    logLevel: env.LOG_LEVEL,
    defaultWorkspace: env.DEFAULT_WORKSPACE,
    // The compiled module sits in gateway/dist/src; the committed file in gateway/.
    supergraphPath: path.resolve(
      env.SUPERGRAPH_PATH ?? path.join(__dirname, '..', '..', 'supergraph.graphql'),
    ),
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxUploadBytes: Math.max(env.MAX_UPLOAD_BYTES, env.MAX_BODY_BYTES),
    auth: {
      jwtSecret: env.AUTH_JWT_SECRET,
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      clockSkewSeconds: env.AUTH_CLOCK_SKEW_S,
    },
    signingSecret: env.GATEWAY_SIGNING_SECRET,
    natsUrl: env.NATS_URL,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    pullTimeoutMs: env.PULL_TIMEOUT_MS,
    introspection: env.INTROSPECTION === 'true',
    limits: {
      depth: env.MAX_QUERY_DEPTH,
      cost: env.MAX_QUERY_COST,
      aliases: env.MAX_ALIASES,
      directives: env.MAX_DIRECTIVES,
      tokens: env.MAX_TOKENS,
    },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownReadyGraceMs: env.SHUTDOWN_READY_GRACE_MS,
    subgraphUrls,
  };
}

/** Parses an environment; throws the platform's ConfigError naming the first wrong variable. */
export function parseGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  return fromEnv(parseConfig(env, gatewayVariables));
}

/** Reads the environment once; a wrong variable stops the process with one line naming it. */
export function gatewayConfig(): GatewayConfig {
  return fromEnv(loadConfig(gatewayVariables));
}
