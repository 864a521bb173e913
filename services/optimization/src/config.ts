import { integerBetween, loadConfig, milliseconds, parseConfig } from '@mmm/platform';

// The only module of optimization that reads the environment: the platform's variables
// (NATS_URL, PORT, LOG_LEVEL, SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, DEFAULT_WORKSPACE,
// NATS_REPLICAS, SHUTDOWN_TIMEOUT_MS, SHUTDOWN_READY_GRACE_MS) and its own below.

/** Its name in logs, metrics and the supergraph (SERVICE_NAME overrides it in logs). */
export const SERVICE_NAME = 'optimization';
/** Its port of the local port plan (PORT overrides it). */
export const DEFAULT_PORT = 4003;

const variables = {
  /**
   * Horizon of the default scenario of a promoted model, in days (a quarter): 13 periods of a
   * weekly model, 91 of a daily one.
   */
  DEFAULT_SCENARIO_DAYS: integerBetween(1, 3660, 91),
  /**
   * Threads that solve scenarios (0: the main thread). Most solves take milliseconds, but
   * S-shaped curves under share rules take seconds, which the main thread must not spend.
   */
  SOLVER_THREADS: integerBetween(0, 64, 2),
  /** A solve running longer is stopped and fails with SERVICE_UNAVAILABLE. */
  SOLVE_TIMEOUT_MS: milliseconds(60_000),
};

/** Parses the environment once; a wrong variable stops the process with one line. */
export function readConfig() {
  return loadConfig(variables);
}

/** The same rules on a given environment, throwing instead of exiting (the service tests). */
export function parseOptimizationConfig(env: Record<string, string | undefined>) {
  return parseConfig(env, variables);
}

export type OptimizationConfig = ReturnType<typeof readConfig>;
