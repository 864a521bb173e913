import { checkId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ScenarioBook } from './domain/scenarios';

export interface OptimizationContext extends SubgraphContext {
  scenarios: ScenarioBook;
}

export const resolvers: GraphQLResolverMap<OptimizationContext> = {
  Query: {
    scenarios: (_: unknown, args: { modelId: string }, ctx: OptimizationContext) =>
      ctx.scenarios.forModel(checkId('modelId', args.modelId)),
  },
};
