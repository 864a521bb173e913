import { loadSchema, scopedKv, type ServiceDefinition } from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME } from './config';
import { createAttributionBook } from './domain/attributions';
import { EVENTS } from './events';
import { resolvers, type AttributionContext } from './resolvers';

/** The attribution subgraph: reads what it stored in KV bucket mmm_attributions. */
export const attributionService: ServiceDefinition<AttributionContext> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  onStart: ({ storage }) => ({
    context: (base) => ({
      ...base,
      attributions: createAttributionBook(scopedKv(storage.kv.attributions, base.workspaceId)),
    }),
  }),
};
