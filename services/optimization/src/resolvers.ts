import { checkId, isStorageId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { Optimizer } from './domain/optimizer';
import type { ScenarioInput } from './domain/scenario-input';
import { scenarioView } from './domain/scenario-view';
import type { ScenarioBook } from './domain/scenarios';

export interface OptimizationContext extends SubgraphContext {
  optimizer: Optimizer;
  /** The caller's workspace's scenarios. */
  scenarios: ScenarioBook;
}

const forModel = async (ctx: OptimizationContext, modelId: string) =>
  (await ctx.scenarios.forModel(modelId)).map(scenarioView);

export const resolvers: GraphQLResolverMap<OptimizationContext> = {
  Query: {
    scenarios: (_: unknown, args: { modelId: string }, ctx: OptimizationContext) =>
      forModel(ctx, checkId('modelId', args.modelId)),
    scenario: async (_: unknown, args: { id: string }, ctx: OptimizationContext) => {
      const record = await ctx.scenarios.get(checkId('id', args.id));
      return record && scenarioView(record);
    },
  },
  Mutation: {
    optimizeBudget: async (
      _: unknown,
      args: { modelId: string; scenario: ScenarioInput },
      ctx: OptimizationContext,
    ) =>
      scenarioView(
        await ctx.optimizer.optimize(
          { workspaceId: ctx.workspaceId, requestId: ctx.requestId },
          checkId('modelId', args.modelId),
          args.scenario,
        ),
      ),
  },
  Scenario: {
    __resolveReference: async (ref: { id: string }, ctx: OptimizationContext) => {
      if (!isStorageId(ref.id)) return null;
      const record = await ctx.scenarios.get(ref.id);
      return record && scenarioView(record);
    },
  },
  Model: {
    optimizations: (model: { id: string }, _: unknown, ctx: OptimizationContext) =>
      isStorageId(model.id) ? forModel(ctx, model.id) : [],
  },
};
