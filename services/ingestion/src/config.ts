import { integerBetween, loadConfig, milliseconds, parseConfig } from '@mmm/platform';
import { z } from 'zod';

// The only module of ingestion that reads the environment: the platform's variables (NATS_URL,
// PORT, LOG_LEVEL, SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, DEFAULT_WORKSPACE, NATS_REPLICAS,
// SHUTDOWN_TIMEOUT_MS, SHUTDOWN_READY_GRACE_MS) and its own below.

/** Its name in logs, metrics and the supergraph (SERVICE_NAME overrides it in logs). */
export const SERVICE_NAME = 'ingestion';
/** Its port of the local port plan (PORT overrides it). */
export const DEFAULT_PORT = 4001;

const httpUrl = (fallback: string) =>
  z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
    .default(fallback);
/** A credential: any text, never echoed in a config error or a log line. */
const secret = () => z.string().optional();

const variables = {
  /** How often the event relay looks for committed but unannounced dataset changes. */
  EVENT_RELAY_INTERVAL_MS: milliseconds(30_000),
  // Data sources. Base URLs are configuration so that tests and proxies can stand in for the
  // platforms; credentials come from a Kubernetes Secret as environment variables.
  GOOGLE_ADS_API_URL: httpUrl('https://googleads.googleapis.com/v26'),
  GOOGLE_ADS_DEVELOPER_TOKEN: secret(),
  GOOGLE_ADS_LOGIN_CUSTOMER_ID: z
    .string()
    .regex(/^\d{3}-?\d{3}-?\d{4}$/, 'must be a 10-digit customer id')
    .optional(),
  GOOGLE_OAUTH_TOKEN_URL: httpUrl('https://oauth2.googleapis.com/token'),
  GOOGLE_OAUTH_CLIENT_ID: secret(),
  GOOGLE_OAUTH_CLIENT_SECRET: secret(),
  GOOGLE_OAUTH_REFRESH_TOKEN: secret(),
  META_GRAPH_API_URL: httpUrl('https://graph.facebook.com/v27.0'),
  META_ACCESS_TOKEN: secret(),
  GA4_DATA_API_URL: httpUrl('https://analyticsdata.googleapis.com/v1beta'),
  /** postgres://user:password@host:port/database of the warehouse SQL sources read. */
  POSTGRES_SOURCE_URL: secret(),
  /** The folder DuckDB and Parquet sources' files must be in. */
  DUCKDB_SOURCE_ROOT: z.string().optional(),
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'must be a size such as 512MB')
    .default('512MB'),
  DUCKDB_THREADS: integerBetween(1, 64, 1),
  /** Attempts of one call to a platform before a pull fails (throttling, server errors). */
  SOURCE_MAX_ATTEMPTS: integerBetween(1, 20, 5),
  /** First wait after a throttled call; doubled each attempt unless the platform says. */
  SOURCE_BACKOFF_MS: milliseconds(2_000),
  /** The longest single wait, whatever a platform asks. */
  SOURCE_MAX_WAIT_MS: milliseconds(120_000),
  SOURCE_TIMEOUT_MS: milliseconds(120_000),
  /** How often a Meta report run is polled, and how many polls before the pull fails. */
  META_POLL_INTERVAL_MS: milliseconds(5_000),
  META_MAX_POLLS: integerBetween(1, 10_000, 120),
  SQL_STATEMENT_TIMEOUT_MS: milliseconds(300_000),
};

/** Parses the environment once; a wrong variable stops the process with one line. */
export function readConfig() {
  return loadConfig(variables);
}

/** The same rules on a given environment, throwing instead of exiting (the service tests). */
export function parseIngestionConfig(env: Record<string, string | undefined>) {
  return parseConfig(env, variables);
}

export type IngestionConfig = ReturnType<typeof readConfig>;
