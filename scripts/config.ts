// The one place where the scripts read the environment. Defaults are what a developer running
// `npm start` on a fresh clone wants; tests override them to run a second platform side by side.
import path from 'node:path';
import { repoRoot } from './paths';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`${name}=${raw}: expected a port number (0 to 65535)`);
  }
  return value;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name}=${raw}: expected a positive number`);
  return value;
}

export interface StartConfig {
  /** Holds the JetStream store (nats/), the start lock and nats-server's pid file. */
  dataDir: string;
  /** Preferred ports: each one is used when free, else any free port is taken. */
  natsPort: number;
  gatewayPort: number;
  /** The five services get this port and the four after it (ingestion first). */
  firstServicePort: number;
}

/**
 *   MMM_DATA_DIR            data folder (<repo>/.data)
 *   MMM_NATS_PORT           preferred nats-server port (4222)
 *   MMM_GATEWAY_PORT        preferred gateway port (4000)
 *   MMM_FIRST_SERVICE_PORT  preferred port of ingestion; the other services follow (4001)
 * Port 0 means "any free port".
 */
export function startConfig(): StartConfig {
  return {
    dataDir: path.resolve(process.env.MMM_DATA_DIR || path.join(repoRoot, '.data')),
    natsPort: port('MMM_NATS_PORT', 4222),
    gatewayPort: port('MMM_GATEWAY_PORT', 4000),
    firstServicePort: port('MMM_FIRST_SERVICE_PORT', 4001),
  };
}

export interface LoadCheckConfig {
  gatewayUrl: string;
  durationS: number;
  connections: number;
  /** A bearer token; undefined: the script mints a viewer token from the data folder's secret. */
  token: string | undefined;
  dataDir: string;
}

/**
 *   GATEWAY_URL   gateway to load (http://127.0.0.1:4000/graphql)
 *   DURATION_S    seconds of load (10)
 *   CONNECTIONS   concurrent connections (10)
 *   MMM_TOKEN     bearer token (default: a viewer token of `npm start`'s data folder)
 */
export function loadCheckConfig(): LoadCheckConfig {
  return {
    token: process.env.MMM_TOKEN || undefined,
    dataDir: startConfig().dataDir,
    gatewayUrl: process.env.GATEWAY_URL || 'http://127.0.0.1:4000/graphql',
    durationS: positive('DURATION_S', 10),
    connections: positive('CONNECTIONS', 10),
  };
}

/** The environment the children of a script start from. */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return { ...process.env };
}

export interface ServingBenchConfig {
  /** Seconds of load per measurement. */
  seconds: number;
  /** Print the figures as JSON. */
  json: boolean;
  /** Write a CPU profile of the gateway (node --cpu-prof) into this folder. */
  profileDir: string | undefined;
}

/**
 *   BENCH_SECONDS      seconds per measurement (5)
 *   GATEWAY_PROFILE    folder for a CPU profile of the gateway under load (none)
 *   --json             print JSON instead of the table
 */
export function servingBenchConfig(argv: readonly string[]): ServingBenchConfig {
  return {
    seconds: positive('BENCH_SECONDS', 5),
    json: argv.includes('--json'),
    profileDir: process.env.GATEWAY_PROFILE || undefined,
  };
}
