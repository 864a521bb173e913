import { loadSchema, scopedKv, watchKvIndex, type ServiceDefinition } from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME } from './config';
import { MODEL_KIND, createModelRegistry, type ModelRecord } from './domain/registry';
import { EVENTS } from './events';
import { resolvers, type ModelingContext } from './resolvers';

/** The modeling subgraph: the model registry in KV, its models listed from memory. */
export const modelingService: ServiceDefinition<ModelingContext> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  async onStart({ storage, logger }) {
    const models = await watchKvIndex<ModelRecord>(storage.kv.models, MODEL_KIND, { logger });
    return {
      context: (base) => ({
        ...base,
        registry: createModelRegistry({
          models: scopedKv(storage.kv.models, base.workspaceId),
          jobs: scopedKv(storage.kv.jobs, base.workspaceId),
          listModels: () => models.list(base.workspaceId),
        }),
      }),
      stop: () => models.stop(),
    };
  },
};
