import {
  connectNats,
  createLogger,
  provisionJetStream,
  startSubgraph,
  workspaceStorage,
  type BaseConfig,
  type Logger,
  type NatsConnection,
  type Provisioned,
  type Subgraph,
} from '@mmm/platform';
import { watchDatasetIndex } from './dataset-index';
import { createDatasetCatalog, type DatasetCatalog } from './domain/catalog';
import type { SyntheticSource } from './domain/synthetic';
import { natsAnnouncer } from './events';
import { resolvers, type IngestionContext } from './resolvers';
import { loadTypeDefs } from './schema';

export const SERVICE_NAME = 'ingestion';
export const DEFAULT_PORT = 4001;

export interface IngestionOptions {
  config: Pick<BaseConfig, 'NATS_URL' | 'DEFAULT_WORKSPACE' | 'NATS_REPLICAS'>;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  synthetic: SyntheticSource;
  logger?: Logger;
  /** Register the HTTP server with the platform's shutdown hooks (main does; tests do not). */
  registerShutdown?: boolean;
}

export interface Ingestion {
  subgraph: Subgraph;
  nc: NatsConnection;
  storage: Provisioned;
  catalog: DatasetCatalog;
  /** Stops taking requests, then drains NATS. */
  stop(): Promise<void>;
}

/** Connects to NATS, provisions JetStream and serves the ingestion subgraph. */
export async function startIngestion(options: IngestionOptions): Promise<Ingestion> {
  const logger = options.logger ?? createLogger(SERVICE_NAME);
  const nc = await connectNats({ NATS_URL: options.config.NATS_URL, name: SERVICE_NAME, logger });
  const storage = await provisionJetStream(nc, { replicas: options.config.NATS_REPLICAS });
  const index = await watchDatasetIndex(storage.kv.datasets, logger);
  const catalog = createDatasetCatalog({
    index,
    stores: (workspaceId) => {
      const scoped = workspaceStorage({ kv: storage.kv, files: storage.files }, workspaceId);
      return { metadata: scoped.kv.datasets, files: scoped.files };
    },
    announcer: natsAnnouncer(storage.js),
    logger,
  });
  const subgraph = await startSubgraph<IngestionContext>({
    name: SERVICE_NAME,
    typeDefs: loadTypeDefs(),
    resolvers,
    port: options.port,
    host: options.host,
    nats: nc,
    logger,
    defaultWorkspace: options.config.DEFAULT_WORKSPACE,
    registerShutdown: options.registerShutdown ?? false,
    context: (base) => ({ ...base, catalog, synthetic: options.synthetic }),
  });
  let stopped: Promise<void> | undefined;
  return {
    subgraph,
    nc,
    storage,
    catalog,
    stop: () => {
      stopped ??= (async () => {
        await subgraph.stop();
        await index.stop();
        await nc.drain();
      })();
      return stopped;
    },
  };
}
