import {
  createMetricsRegistry,
  loadSchema,
  publishEvent,
  subscribeEvents,
  watchKvIndex,
  workspaceStorage,
  type ServiceDefinition,
} from '@mmm/platform';
import { DEFAULT_PORT, SERVICE_NAME, type OptimizationConfig } from './config';
import { completedEvent, completedEventId } from './domain/announce';
import { optimizationMetrics } from './domain/metrics';
import { modelSource } from './domain/models';
import { createOptimizer } from './domain/optimizer';
import { inlineSolver, threadSolver } from './domain/solver';
import { SCENARIO_KIND, type ScenarioRecord } from './domain/scenarios';
import { DURABLE, EVENTS } from './events';
import { resolvers, type OptimizationContext } from './resolvers';

/**
 * The optimization subgraph: scenarios solved on the models modeling stores (read through the
 * platform's model contract), kept in KV and listed from memory; the default scenario of each
 * promoted model (consumer of model.promoted); optimization.completed for each scenario.
 */
export const optimizationService: ServiceDefinition<OptimizationContext, OptimizationConfig> = {
  name: SERVICE_NAME,
  defaultPort: DEFAULT_PORT,
  typeDefs: loadSchema(__dirname),
  resolvers,
  events: EVENTS,
  async onStart({ config, storage, logger }) {
    const registry = createMetricsRegistry(SERVICE_NAME);
    const index = await watchKvIndex<ScenarioRecord>(storage.kv.scenarios, SCENARIO_KIND, {
      logger,
    });
    const scoped = (workspaceId: string) => workspaceStorage(storage, workspaceId);
    const solver =
      config.SOLVER_THREADS > 0
        ? threadSolver({
            threads: config.SOLVER_THREADS,
            timeoutMs: config.SOLVE_TIMEOUT_MS,
            logger,
          })
        : inlineSolver();
    const optimizer = createOptimizer({
      storage: scoped,
      models: modelSource(scoped),
      solver,
      index,
      defaultScenarioDays: config.DEFAULT_SCENARIO_DAYS,
      metrics: optimizationMetrics(registry),
      logger,
      async announce(record, requestId) {
        await publishEvent(
          storage.js,
          'optimization.completed',
          completedEvent(record, requestId),
          {
            msgId: completedEventId(record),
            requestId,
          },
        );
      },
    });
    const promotions = await subscribeEvents(
      storage.js,
      'model.promoted',
      async (delivery) => {
        const m = delivery.message;
        await optimizer.promoted(
          { workspaceId: m.workspaceId, requestId: m.requestId || delivery.requestId },
          { modelId: m.modelId, datasetId: m.datasetId },
        );
      },
      { durable: DURABLE, logger },
    );
    return {
      registry,
      context: (base) => ({
        ...base,
        optimizer,
        scenarios: optimizer.book(base.workspaceId),
      }),
      async stop() {
        await promotions.stop();
        await solver.stop();
        await index.stop();
      },
    };
  },
};
