import { checkId, type GraphQLResolverMap, type SubgraphContext } from '@mmm/platform';
import type { AttributionBook, AttributionRecord } from './domain/attributions';
import type { AttributionRunner, RunAttributionRequest } from './domain/run';

export interface AttributionContext extends SubgraphContext {
  attributions: AttributionBook;
  runner: AttributionRunner;
}

/** The total of a column's figures; null when it has none (a unit it does not credit). */
function total(values: Array<number | null>): number | null {
  let sum: number | null = null;
  for (const v of values) if (v !== null) sum = (sum ?? 0) + v;
  return sum;
}

export const resolvers: GraphQLResolverMap<AttributionContext> = {
  Query: {
    attribution: (_: unknown, args: { id: string }, ctx: AttributionContext) =>
      ctx.attributions.get(checkId('id', args.id)),
    attributions: (_: unknown, args: { datasetId: string }, ctx: AttributionContext) =>
      ctx.attributions.list(checkId('datasetId', args.datasetId)),
  },
  Mutation: {
    runAttribution: (
      _: unknown,
      { input }: { input: RunAttributionRequest },
      ctx: AttributionContext,
    ) => {
      checkId('datasetId', input.datasetId);
      if (input.modelId != null) checkId('modelId', input.modelId);
      return ctx.runner.run(
        { workspaceId: ctx.workspaceId, requestId: ctx.requestId },
        { ...input, channelMapping: input.channelMapping ?? [] },
      );
    },
  },
  JourneyDataset: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    attributions: (dataset: { id: string }, _: unknown, ctx: AttributionContext) =>
      ctx.attributions.list(dataset.id),
  },
  Attribution: {
    journeyDataset: (run: AttributionRecord) => ({ id: run.datasetId }),
    model: (run: AttributionRecord) => (run.modelId === null ? null : { id: run.modelId }),
    columns: (run: AttributionRecord) =>
      run.columns.map((column) => ({
        method: column.method,
        source: column.source,
        unit: column.unit,
        conversions: total(column.conversions),
        value: total(column.value),
      })),
    rows: (run: AttributionRecord) =>
      run.channels.map((channel, c) => ({
        channel,
        cells: run.columns.map((column) => ({
          method: column.method,
          conversions: column.conversions[c],
          value: column.value[c],
          share: column.share[c],
        })),
      })),
  },
};
