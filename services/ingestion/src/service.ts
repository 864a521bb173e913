import { loadSchema, watchKvIndex, workspaceStorage, type ServiceDefinition } from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME, type IngestionConfig } from './config';
import { KINDS, createDatasetCatalog, type DatasetRecord } from './domain/catalog';
import {
  JOURNEY_KIND,
  createJourneyCatalog,
  type JourneyDatasetRecord,
} from './domain/journey-catalog';
import { startEventRelay } from './domain/relay';
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
    return {
      context: (base) => ({ ...base, catalog, journeys, synthetic }),
      async stop() {
        await relay.stop();
        await journeyRelay.stop();
        await index.stop();
        await journeyIndex.stop();
      },
    };
  },
};
