import { loadSchema, watchKvIndex, type ServiceDefinition } from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME } from './config';
import { SCENARIO_KIND, createScenarioBook, type ScenarioRecord } from './domain/scenarios';
import { EVENTS } from './events';
import { resolvers, type OptimizationContext } from './resolvers';

/** The optimization subgraph: solved scenarios in KV, listed from memory. */
export const optimizationService: ServiceDefinition<OptimizationContext> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  async onStart({ storage, logger }) {
    const scenarios = await watchKvIndex<ScenarioRecord>(storage.kv.scenarios, SCENARIO_KIND, {
      logger,
    });
    return {
      context: (base) => ({
        ...base,
        scenarios: createScenarioBook(() => scenarios.list(base.workspaceId)),
      }),
      stop: () => scenarios.stop(),
    };
  },
};
