import { parseModel, type MediaMixModel } from '@mmm/core';
import {
  loadSchema,
  readJourneys,
  readModelArtifact,
  scopedKv,
  watchKvIndex,
  workspaceStorage,
  type ServiceDefinition,
} from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME } from './config';
import {
  ATTRIBUTION_KIND,
  createAttributionBook,
  type AttributionRecord,
} from './domain/attributions';
import { createAttributionRunner, type AttributionSources } from './domain/run';
import { EVENTS, natsAnnouncer } from './events';
import { resolvers, type AttributionContext } from './resolvers';

/** Stored journey tables and models never change: a few stay in memory once read. */
function memo<T>(size: number) {
  const kept = new Map<string, Promise<T | null>>();
  return (key: string, load: () => Promise<T | null>): Promise<T | null> => {
    let found = kept.get(key);
    if (!found) {
      found = load();
      kept.set(key, found);
      // A missing one may appear later, and a failed read is tried again.
      void found.then((v) => v ?? kept.delete(key)).catch(() => kept.delete(key));
      while (kept.size > size) kept.delete(kept.keys().next().value as string);
    }
    return found;
  };
}

/**
 * The attribution subgraph: runs the journey methods on journey datasets and puts a model's
 * contribution beside them (both read through the platform contracts), keeps the runs in KV
 * bucket mmm_attributions (listed from memory by a KV index) and announces them.
 */
export const attributionService: ServiceDefinition<AttributionContext> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  async onStart({ storage, logger }) {
    const index = await watchKvIndex<AttributionRecord>(storage.kv.attributions, ATTRIBUTION_KIND, {
      logger,
    });
    const journeys = memo<Awaited<ReturnType<AttributionSources['journeys']>>>(4);
    const models = memo<MediaMixModel>(16);
    const sources = (workspaceId: string): AttributionSources => {
      const scoped = workspaceStorage(storage, workspaceId);
      return {
        // Keyed by the content-addressed id: a dataset's journeys never change.
        journeys: (id) => journeys(`${workspaceId}/${id}`, () => readJourneys(scoped, id)),
        model: (id) =>
          models(`${workspaceId}/${id}`, async () => {
            const artifact = await readModelArtifact(scoped, id);
            return artifact === null ? null : parseModel(artifact.model);
          }),
      };
    };
    const book = (workspaceId: string) =>
      createAttributionBook(scopedKv(storage.kv.attributions, workspaceId), index);
    const runner = createAttributionRunner({
      sources,
      book,
      announcer: natsAnnouncer(storage.js),
      logger,
    });
    return {
      context: (base) => ({ ...base, attributions: book(base.workspaceId), runner }),
      stop: () => index.stop(),
    };
  },
};
