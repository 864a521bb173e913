import { loadConfig, milliseconds, parseConfig } from '@mmm/platform';

// The only module of ingestion that reads the environment: the platform's variables (NATS_URL,
// PORT, LOG_LEVEL, SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, DEFAULT_WORKSPACE, NATS_REPLICAS,
// SHUTDOWN_TIMEOUT_MS, SHUTDOWN_READY_GRACE_MS) and its own below.

/** Its name in logs, metrics and the supergraph (SERVICE_NAME overrides it in logs). */
export const SERVICE_NAME = 'ingestion';
/** Its port of the local port plan (PORT overrides it). */
export const DEFAULT_PORT = 4001;

const variables = {
  /** How often the event relay looks for committed but unannounced dataset changes. */
  EVENT_RELAY_INTERVAL_MS: milliseconds(30_000),
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
