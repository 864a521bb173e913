import { loadSchema, watchKvIndex, workspaceStorage, type ServiceDefinition } from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME, type IngestionConfig } from './config';
import { KINDS, createDatasetCatalog, type DatasetRecord } from './domain/catalog';
import {
  JOURNEY_KIND,
  createJourneyCatalog,
  type JourneyDatasetRecord,
} from './domain/journey-catalog';
import { startEventRelay } from './domain/relay';
import { connectorFor, createSourceCatalog, type SourceEnvironment } from './domain/sources';
import { coreSyntheticSource } from './domain/synthetic';
import { EVENTS, natsAnnouncer, natsJourneyAnnouncer } from './events';
import { resolvers, type IngestionContext } from './resolvers';

/**
 * The ingestion subgraph: the dataset catalog and the journey catalog (files in the object store,
 * metadata in KV, each listed from memory by a KV index of its kind) and, for each, the relay that
 * announces changes whose event was not published.
 */
export const ingestionService: ServiceDefinition<IngestionContext, IngestionConfig> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  async onStart({ config, storage, logger }) {
    const index = await watchKvIndex<DatasetRecord>(storage.kv.datasets, KINDS.dataset, {
      logger,
    });
    const catalog = createDatasetCatalog({
      index,
      stores: (workspaceId) => {
        const scoped = workspaceStorage({ kv: storage.kv, files: storage.files }, workspaceId);
        return { metadata: scoped.kv.datasets, files: scoped.files };
      },
      announcer: natsAnnouncer(storage.js),
      logger,
    });
    const relay = startEventRelay({
      catalog,
      index,
      intervalMs: config.EVENT_RELAY_INTERVAL_MS,
      logger,
    });
    const journeyIndex = await watchKvIndex<JourneyDatasetRecord>(
      storage.kv.datasets,
      JOURNEY_KIND.dataset,
      { logger },
    );
    const journeys = createJourneyCatalog({
      index: journeyIndex,
      stores: (workspaceId) => {
        const scoped = workspaceStorage({ kv: storage.kv, files: storage.files }, workspaceId);
        return { metadata: scoped.kv.datasets, files: scoped.files };
      },
      announcer: natsJourneyAnnouncer(storage.js),
      logger,
    });
    const journeyRelay = startEventRelay({
      catalog: journeys,
      index: journeyIndex,
      intervalMs: config.EVENT_RELAY_INTERVAL_MS,
      logger,
    });
    const synthetic = coreSyntheticSource();
    const environment = sourceEnvironment(config);
    const sources = createSourceCatalog({
      metadata: (workspaceId) =>
        workspaceStorage({ kv: storage.kv, files: storage.files }, workspaceId).kv.datasets,
      datasets: catalog,
      connector: (source) => connectorFor(source, environment),
      logger,
    });
    return {
      context: (base) => ({ ...base, catalog, journeys, synthetic, sources }),
      async stop() {
        await relay.stop();
        await journeyRelay.stop();
        await index.stop();
        await journeyIndex.stop();
      },
    };
  },
};

/** The sources' side of the configuration: base URLs, credentials and limits. */
export function sourceEnvironment(config: IngestionConfig): SourceEnvironment {
  return {
    googleAdsApiUrl: config.GOOGLE_ADS_API_URL,
    googleAdsDeveloperToken: config.GOOGLE_ADS_DEVELOPER_TOKEN,
    googleAdsLoginCustomerId: config.GOOGLE_ADS_LOGIN_CUSTOMER_ID,
    googleOAuthTokenUrl: config.GOOGLE_OAUTH_TOKEN_URL,
    googleOAuthClientId: config.GOOGLE_OAUTH_CLIENT_ID,
    googleOAuthClientSecret: config.GOOGLE_OAUTH_CLIENT_SECRET,
    googleOAuthRefreshToken: config.GOOGLE_OAUTH_REFRESH_TOKEN,
    metaGraphApiUrl: config.META_GRAPH_API_URL,
    metaAccessToken: config.META_ACCESS_TOKEN,
    ga4DataApiUrl: config.GA4_DATA_API_URL,
    postgresUrl: config.POSTGRES_SOURCE_URL,
    duckDbRoot: config.DUCKDB_SOURCE_ROOT,
    duckDbMemoryLimit: config.DUCKDB_MEMORY_LIMIT,
    duckDbThreads: config.DUCKDB_THREADS,
    http: {
      maxAttempts: config.SOURCE_MAX_ATTEMPTS,
      backoffMs: config.SOURCE_BACKOFF_MS,
      maxWaitMs: config.SOURCE_MAX_WAIT_MS,
      timeoutMs: config.SOURCE_TIMEOUT_MS,
    },
    metaPollIntervalMs: config.META_POLL_INTERVAL_MS,
    metaMaxPolls: config.META_MAX_POLLS,
    sqlStatementTimeoutMs: config.SQL_STATEMENT_TIMEOUT_MS,
  };
}
