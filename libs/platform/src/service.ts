import fs from 'node:fs';
import path from 'node:path';
import type { BaseConfig } from './config';
import { eventSubject, type EventName } from './events';
import { createLogger, setDefaultLogLevel, type Logger } from './logger';
import { connectNats, provisionJetStream, type NatsConnection, type Provisioned } from './nats';
import { handleSignals, onShutdown } from './shutdown';
import {
  startSubgraph,
  type GraphQLResolverMap,
  type Subgraph,
  type SubgraphContext,
  type SubgraphOptions,
} from './subgraph';
import type { Registry } from './metrics';
import type { Telemetry } from './telemetry';

/**
 * The SDL of a service, `schema.graphql` in its src/ folder: the one truth the gateway composes
 * from. `dir` is the caller's __dirname, src/ under ts-jest or dist/src once compiled (tsc does
 * not copy the file, so from dist/src it is found two levels up, in src/).
 */
export function loadSchema(dir: string): string {
  const candidates = [
    path.join(dir, 'schema.graphql'),
    path.join(dir, '..', '..', 'src', 'schema.graphql'),
  ];
  for (const file of candidates) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  }
  throw new Error(`schema.graphql not found (looked in ${candidates.join(', ')})`);
}

/** What a service's parts are built from once NATS is connected and JetStream provisioned. */
export interface ServiceConnection<Cfg extends BaseConfig = BaseConfig> {
  config: Cfg;
  nc: NatsConnection;
  storage: Provisioned;
  logger: Logger;
}

/** What a service adds to the subgraph once connected. */
export interface ServiceParts<C extends SubgraphContext> {
  /** Adds the service's dependencies to each request's context. */
  context: (base: SubgraphContext) => C | Promise<C>;
  readiness?: SubgraphOptions<C>['readiness'];
  http?: SubgraphOptions<C>['http'];
  /** Stops what onStart started (watches, relays, consumers), before NATS drains. */
  stop?: () => Promise<void>;
  /** The registry /metrics serves, when the service adds metrics (createMetricsRegistry). */
  registry?: Registry;
}

/** What a service exchanges on NATS. */
export interface ServiceEvents {
  consumes: readonly EventName[];
  publishes: readonly EventName[];
}

/**
 * A service: its name, port, schema, resolvers and the wiring of its parts. Without typeDefs it
 * is a worker: it serves /healthz, /readyz and /metrics but no GraphQL.
 */
export interface ServiceDefinition<C extends SubgraphContext, Cfg extends BaseConfig = BaseConfig> {
  name: string;
  /** The port of the local port plan; PORT overrides it. */
  defaultPort: number;
  typeDefs?: string;
  resolvers?: GraphQLResolverMap<C>;
  /** The events it consumes and publishes (its events.ts), named in the start-up log line. */
  events: ServiceEvents;
  onStart(connection: ServiceConnection<Cfg>): ServiceParts<C> | Promise<ServiceParts<C>>;
}

export interface StartServiceOptions<Cfg extends BaseConfig> {
  config: Cfg;
  /** PORT, else the definition's default port; 0 picks a free one (tests). */
  port?: number;
  /** 0.0.0.0 by default; tests pass 127.0.0.1. */
  host?: string;
  logger?: Logger;
  /** Register with the shutdown hooks (runService does; tests stop by hand). */
  registerShutdown?: boolean;
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
  readonly subgraph: Subgraph;
  readonly nc: NatsConnection;
  readonly storage: Provisioned;
  /** Stops taking requests, stops the service's parts, drains NATS. */
  stop(): Promise<void>;
}

/** Thrown when NATS cannot be reached at start; names the variable and its value. */
export class NatsUnreachableError extends Error {
  override readonly name = 'NatsUnreachableError';
  constructor(url: string, cause: unknown) {
    super(
      `cannot reach NATS at NATS_URL=${url} (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
}

/**
 * Connects to NATS, provisions JetStream (idempotent), wires the service's parts and serves its
 * subgraph. Anything that fails on the way is undone before the error is passed on.
 */
export async function startService<C extends SubgraphContext, Cfg extends BaseConfig>(
  definition: ServiceDefinition<C, Cfg>,
  options: StartServiceOptions<Cfg>,
): Promise<RunningService> {
  const { config } = options;
  const name = config.SERVICE_NAME ?? definition.name;
  const logger = options.logger ?? createLogger(name);
  let nc: NatsConnection;
  try {
    nc = await connectNats({ NATS_URL: config.NATS_URL, name, logger });
  } catch (error) {
    throw new NatsUnreachableError(config.NATS_URL, error);
  }
  let parts: ServiceParts<C> | undefined;
  try {
    const storage = await provisionJetStream(nc, {
      replicas: config.NATS_REPLICAS,
      auditMaxAgeDays: config.AUDIT_RETENTION_DAYS,
    });
    parts = await definition.onStart({ config, nc, storage, logger });
    const subgraph = await startSubgraph<C>({
      name: definition.name,
      typeDefs: definition.typeDefs,
      resolvers: definition.resolvers,
      port: options.port ?? config.PORT ?? definition.defaultPort,
      host: options.host,
      nats: nc,
      logger,
      signingSecret: config.GATEWAY_SIGNING_SECRET,
      readiness: parts.readiness,
      http: parts.http,
      registry: parts.registry,
      registerShutdown: options.registerShutdown ?? false,
      context: parts.context,
      shutdownReadyGraceMs: config.SHUTDOWN_READY_GRACE_MS,
    });
    logger.info('service started', {
      url: subgraph.url,
      consumes: definition.events.consumes.map(eventSubject),
      publishes: definition.events.publishes.map(eventSubject),
    });
    const stopParts = parts.stop;
    let stopped: Promise<void> | undefined;
    return {
      name: definition.name,
      url: subgraph.url,
      subgraph,
      nc,
      storage,
      stop() {
        stopped ??= (async () => {
          await subgraph.stop();
          await stopParts?.();
          await nc.drain();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await parts?.stop?.().catch(() => undefined);
    await nc.close();
    throw error;
  }
}

export interface RunServiceOptions<Cfg extends BaseConfig> {
  /** Started by the service's telemetry module, imported first by its main. */
  telemetry: Telemetry;
  /** The service's parsed configuration (its config module). */
  config: Cfg;
}

/**
 * A service's main: log level, signal handling, start, shutdown hooks in order (HTTP, the
 * service's parts and NATS, telemetry). A start that fails prints one line
 * `<name> failed to start: <reason>` and exits 1.
 */
export function runService<C extends SubgraphContext, Cfg extends BaseConfig>(
  definition: ServiceDefinition<C, Cfg>,
  options: RunServiceOptions<Cfg>,
): void {
  const { config, telemetry } = options;
  setDefaultLogLevel(config.LOG_LEVEL);
  const logger = createLogger(config.SERVICE_NAME ?? definition.name);
  // Before anything starts, so a signal during start-up still runs the hooks registered so far.
  handleSignals({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  onShutdown('telemetry', () => telemetry.shutdown(), 'telemetry');
  startService(definition, { config, logger, registerShutdown: true })
    .then((service) => {
      // The subgraph's own hook stops HTTP first; this one stops the parts and drains NATS.
      onShutdown(`${definition.name} nats`, () => service.stop(), 'nats');
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    });
}
