import { checkId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { AttributionBook } from './domain/attributions';

export interface AttributionContext extends SubgraphContext {
  attributions: AttributionBook;
}

export const resolvers: GraphQLResolverMap<AttributionContext> = {
  Query: {
    attribution: (_: unknown, args: { id: string }, ctx: AttributionContext) =>
      ctx.attributions.get(checkId('id', args.id)),
  },
};
