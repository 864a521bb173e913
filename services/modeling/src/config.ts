import { availableCores } from '@mmm/core';
import { integerBetween, loadConfig, milliseconds, oneOf, parseConfig } from '@mmm/platform';

// The only module of modeling that reads the environment: the platform's variables (NATS_URL,
// PORT, LOG_LEVEL, SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, DEFAULT_WORKSPACE, NATS_REPLICAS,
// SHUTDOWN_TIMEOUT_MS, SHUTDOWN_READY_GRACE_MS) and its own below.

/** Its name in logs, metrics and the supergraph (SERVICE_NAME overrides it in logs). */
export const SERVICE_NAME = 'modeling';
/** Its port of the local port plan (PORT overrides it): the subgraph, and the worker's. */
export const DEFAULT_PORT = 4002;
export const WORKER_DEFAULT_PORT = 4006;

const variables = {
  /** api: the subgraph; worker: the training worker. One build, two roles that scale apart. */
  MODELING_ROLE: oneOf(['api', 'worker'], 'api'),
  /** Engine threads per part of a job (0: in the part's own thread only). */
  TRAINING_THREADS: integerBetween(0, 256, availableCores()),
  /** Jobs a worker coordinates at once (coordinating is waiting: the parts do the work). */
  TRAINING_CONCURRENT_JOBS: integerBetween(1, 64, 4),
  /** Deliveries of a job or part before it is parked on the dead-letter subject. */
  TRAINING_MAX_ATTEMPTS: integerBetween(1, 100, 3),
  /** A job or part whose worker stops saying it is alive goes to another worker after this. */
  TRAINING_ACK_WAIT_MS: milliseconds(30_000),
  /** How often a coordinator looks at its parts, and a part for a cancel. */
  TRAINING_POLL_MS: milliseconds(200),
  /** A job that runs longer fails with TIMEOUT. */
  TRAINING_JOB_TIMEOUT_MS: milliseconds(6 * 3600_000),
  /**
   * Candidates per part when a search is split over workers: a job is split when this gives at
   * least two parts of trials; 0 never splits.
   */
  TRAINING_PART_CANDIDATES: integerBetween(0, 100_000_000, 20_000),
  /** Posterior chains per part of a split job. */
  TRAINING_CHAINS_PER_TASK: integerBetween(1, 64, 2),
};

/** Parses the environment once; a wrong variable stops the process with one line. */
export function readConfig() {
  return loadConfig(variables);
}

/** The same rules on a given environment, throwing instead of exiting (the service tests). */
export function parseModelingConfig(env: Record<string, string | undefined>) {
  return parseConfig(env, variables);
}

export type ModelingConfig = ReturnType<typeof readConfig>;
