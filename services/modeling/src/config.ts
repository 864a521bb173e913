import { loadConfig } from '@mmm/platform';

// The only module of modeling that reads the environment. It needs nothing beyond the platform's
// variables (NATS_URL, PORT, LOG_LEVEL, SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
// DEFAULT_WORKSPACE, NATS_REPLICAS, SHUTDOWN_TIMEOUT_MS, SHUTDOWN_READY_GRACE_MS).

/** Its name in logs, metrics and the supergraph (SERVICE_NAME overrides it in logs). */
export const SERVICE_NAME = 'modeling';
/** Its port of the local port plan (PORT overrides it). */
export const DEFAULT_PORT = 4002;

/** Parses the environment once; a wrong variable stops the process with one line. */
export function readConfig() {
  return loadConfig();
}

export type ModelingConfig = ReturnType<typeof readConfig>;
