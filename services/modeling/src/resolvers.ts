import { checkId, isStorageId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { ModelRegistry } from './domain/registry';

export interface ModelingContext extends SubgraphContext {
  registry: ModelRegistry;
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
      isStorageId(ref.id) ? ctx.registry.model(ref.id) : null,
  },
  Dataset: {
    models: (dataset: { id: string }, _: unknown, ctx: ModelingContext) =>
      isStorageId(dataset.id) ? ctx.registry.models(dataset.id) : [],
  },
};
