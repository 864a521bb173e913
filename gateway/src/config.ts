import path from 'node:path';
import { loadConfig, parseConfig, type Config, type LogLevel } from '@mmm/platform';
import { z } from 'zod';

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
  /** Largest GraphQL request body in bytes; datasets arrive inside mutations. */
  MAX_BODY_BYTES: z.coerce
    .number({ invalid_type_error: 'must be a positive integer (bytes)' })
    .int('must be a positive integer (bytes)')
    .positive('must be a positive integer (bytes)')
    .default(50 * 1024 * 1024),
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
  shutdownTimeoutMs: number;
  /** How long /readyz answers 503 at shutdown before the listener closes. */
  shutdownReadyGraceMs: number;
  /** Subgraph name -> URL, for the subgraphs whose URL the environment overrides. */
  subgraphUrls: Record<string, string>;
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
