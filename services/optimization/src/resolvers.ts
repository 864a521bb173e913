import { ValidationError, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ScenarioBook } from './domain/scenarios';

export interface OptimizationContext extends SubgraphContext {
  scenarios: ScenarioBook;
}

// Ids are parts of storage keys: anything else cannot name a stored model.
const ID = /^[-_=a-zA-Z0-9]{1,128}$/;

function checkId(field: string, id: string): string {
  if (!ID.test(id)) {
    throw new ValidationError([{ field, message: `${field} must be 1-128 of [-_=a-zA-Z0-9]` }]);
  }
  return id;
}

export const resolvers: GraphQLResolverMap<OptimizationContext> = {
  Query: {
    scenarios: (_: unknown, args: { modelId: string }, ctx: OptimizationContext) =>
      ctx.scenarios.forModel(checkId('modelId', args.modelId)),
  },
};
