import { ValidationError, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ModelRegistry } from './domain/registry';

export interface ModelingContext extends SubgraphContext {
  registry: ModelRegistry;
}

// Ids are parts of storage keys: anything else cannot name a stored model or job.
const ID = /^[-_=a-zA-Z0-9]{1,128}$/;

function checkId(field: string, id: string): string {
  if (!ID.test(id)) {
    throw new ValidationError([{ field, message: `${field} must be 1-128 of [-_=a-zA-Z0-9]` }]);
  }
  return id;
}

export const resolvers: GraphQLResolverMap<ModelingContext> = {
  Query: {
    models: (_: unknown, args: { datasetId?: string | null }, ctx: ModelingContext) =>
      ctx.registry.models(
        args.datasetId == null ? undefined : checkId('datasetId', args.datasetId),
      ),
    model: (_: unknown, args: { id: string }, ctx: ModelingContext) =>
      ctx.registry.model(checkId('id', args.id)),
    trainingJob: (_: unknown, args: { id: string }, ctx: ModelingContext) =>
      ctx.registry.trainingJob(checkId('id', args.id)),
  },
  Model: {
    __resolveReference: (ref: { id: string }, ctx: ModelingContext) =>
      ID.test(ref.id) ? ctx.registry.model(ref.id) : null,
  },
  Dataset: {
    models: (dataset: { id: string }, _: unknown, ctx: ModelingContext) =>
      ID.test(dataset.id) ? ctx.registry.models(dataset.id) : [],
  },
};
