import { loadConfig, parseConfig } from '@mmm/platform';

// The only module of the service that reads the environment. Ingestion needs
// nothing beyond the variables every service reads (NATS_URL, PORT, LOG_LEVEL,
// SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, DEFAULT_WORKSPACE, NATS_REPLICAS,
// SHUTDOWN_TIMEOUT_MS).

/** Parses and checks the environment; prints one line and exits when a value is wrong. */
export function readConfig() {
  return loadConfig();
}

/** The same rules on a given environment, without exiting (for tools and tests). */
export function configFrom(env: Record<string, string | undefined>) {
  return parseConfig(env);
}

export type IngestionConfig = ReturnType<typeof readConfig>;
