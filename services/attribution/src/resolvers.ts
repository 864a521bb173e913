import { ValidationError, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { AttributionBook } from './domain/attributions';

export interface AttributionContext extends SubgraphContext {
  attributions: AttributionBook;
}

// Ids are parts of storage keys: anything else cannot name a stored run.
const ID = /^[-_=a-zA-Z0-9]{1,128}$/;

function checkId(field: string, id: string): string {
  if (!ID.test(id)) {
    throw new ValidationError([{ field, message: `${field} must be 1-128 of [-_=a-zA-Z0-9]` }]);
  }
  return id;
}

export const resolvers: GraphQLResolverMap<AttributionContext> = {
  Query: {
    attribution: (_: unknown, args: { id: string }, ctx: AttributionContext) =>
      ctx.attributions.get(checkId('id', args.id)),
  },
};
