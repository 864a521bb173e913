import {
  checkId,
  isStorageId,
  NotFoundError,
  type GraphQLResolverMap,
  type SubgraphContext,
} from '@mmm/platform';
import type { JobStore, TrainingJobRecord } from './domain/jobs';
import {
  channelView,
  decompositionView,
  paretoView,
  responseCurvesView,
} from './domain/model-view';
import { stageOf, type ModelRecord, type ModelRegistry, type ModelStage } from './domain/registry';
import type { TrainingRequests } from './domain/training-requests';
import type { TrainingRequestFields } from './domain/training-settings';

export interface ModelingContext extends SubgraphContext {
  registry: ModelRegistry;
  jobs: JobStore;
  requests: TrainingRequests;
  /** Models of the workspace (from memory), newest first. */
  listModels(): Promise<ModelRecord[]>;
  /** The production model id of a dataset, when it has one. */
  productionOf(datasetId: string): Promise<string | null>;
  /** Publishes model.promoted (deduplicated per promotion). */
  announcePromotion(record: ModelRecord, previous: string | null): Promise<void>;
  /** The model's artifact, kept in memory once read (artifacts never change). */
  artifact(id: string): ReturnType<ModelRegistry['artifact']>;
}

interface TrainModelArgs {
  input: TrainModelInput;
}

type TrainModelInput = {
  datasetId: string;
  adstock?: 'GEOMETRIC' | 'WEIBULL_CDF' | 'WEIBULL_PDF' | null;
  saturation?: 'HILL' | 'LOGISTIC' | null;
  selection?: 'POSTERIOR' | 'BEST_FIT' | 'KNEE' | null;
  controlSigns?: Array<{ control: string; sign: 'POSITIVE' | 'NEGATIVE' }> | null;
} & Omit<TrainingRequestFields, 'adstock' | 'saturation' | 'selection' | 'controlSigns'>;

function requestFields(input: TrainModelInput): TrainingRequestFields {
  return {
    ...input,
    adstock: input.adstock
      ? (input.adstock.toLowerCase() as TrainingRequestFields['adstock'])
      : null,
    saturation: input.saturation
      ? (input.saturation.toLowerCase() as TrainingRequestFields['saturation'])
      : null,
    selection: input.selection
      ? (input.selection.toLowerCase().replace('_', '-') as TrainingRequestFields['selection'])
      : null,
    controlSigns: input.controlSigns?.map((c) => ({
      control: c.control,
      sign: c.sign === 'NEGATIVE' ? 'negative' : 'positive',
    })),
  };
}

async function models(ctx: ModelingContext, datasetId?: string | null, stage?: ModelStage | null) {
  const all = await ctx.listModels();
  const ofDataset = all.filter((m) => datasetId == null || m.datasetId === datasetId);
  if (!stage) return ofDataset;
  const out: ModelRecord[] = [];
  for (const m of ofDataset) {
    if (stageOf(m, await pointer(ctx, m)) === stage) out.push(m);
  }
  return out;
}

async function pointer(ctx: ModelingContext, model: ModelRecord) {
  const modelId = await ctx.productionOf(model.datasetId);
  return modelId ? { datasetId: model.datasetId, modelId, promotedAt: '' } : null;
}

async function artifactOf(ctx: ModelingContext, model: ModelRecord) {
  const artifact = await ctx.artifact(model.id);
  if (!artifact) throw new Error(`artifact of model ${model.id} is missing`);
  return artifact;
}

export const resolvers: GraphQLResolverMap<ModelingContext> = {
  Query: {
    models: (
      _: unknown,
      args: { datasetId?: string | null; stage?: ModelStage | null },
      ctx: ModelingContext,
    ) =>
      models(
        ctx,
        args.datasetId == null ? undefined : checkId('datasetId', args.datasetId),
        args.stage,
      ),
    model: (_: unknown, args: { id: string }, ctx: ModelingContext) =>
      ctx.registry.get(checkId('id', args.id)),
    trainingJob: (_: unknown, args: { id: string }, ctx: ModelingContext) =>
      ctx.jobs.get(checkId('id', args.id)),
  },
  Mutation: {
    trainModel: (_: unknown, { input }: TrainModelArgs, ctx: ModelingContext) =>
      ctx.requests.request(
        { workspaceId: ctx.workspaceId, requestId: ctx.requestId },
        checkId('input.datasetId', input.datasetId),
        requestFields(input),
        'api',
      ),
    cancelTraining: (_: unknown, args: { jobId: string }, ctx: ModelingContext) =>
      ctx.requests.cancel(
        { workspaceId: ctx.workspaceId, requestId: ctx.requestId },
        checkId('jobId', args.jobId),
      ),
    promoteModel: async (_: unknown, args: { id: string }, ctx: ModelingContext) => {
      const promoted = await ctx.registry.promote(checkId('id', args.id));
      if (!promoted) throw new NotFoundError('model', args.id);
      ctx.logger.info('model promoted', { modelId: args.id, previous: promoted.previous });
      await ctx.announcePromotion(promoted.record, promoted.previous);
      return promoted.record;
    },
  },
  Model: {
    __resolveReference: (ref: { id: string }, ctx: ModelingContext) =>
      isStorageId(ref.id) ? ctx.registry.get(ref.id) : null,
    stage: async (m: ModelRecord, _: unknown, ctx: ModelingContext) =>
      stageOf(m, await pointer(ctx, m)),
    promoted: async (m: ModelRecord, _: unknown, ctx: ModelingContext) =>
      (await ctx.productionOf(m.datasetId)) === m.id,
    kpiName: (m: ModelRecord) => m.kpi.name,
    kpiType: (m: ModelRecord) => m.kpi.type.toUpperCase(),
    adstock: (m: ModelRecord) => m.adstock.toUpperCase(),
    saturation: (m: ModelRecord) => m.saturation.toUpperCase(),
    periodCount: (m: ModelRecord) => m.periods.count,
    trainingPeriods: (m: ModelRecord) => m.periods.trainEnd,
    startDate: (m: ModelRecord) => m.periods.startDate,
    endDate: (m: ModelRecord) => m.periods.endDate,
    metrics: (m: ModelRecord) => ({
      r2: m.metrics.rsq,
      adjustedR2: m.metrics.adjustedRsq,
      nrmse: m.metrics.nrmse,
      decompRssd: m.metrics.decompRssd,
      mape: m.metrics.mape,
    }),
    holdout: (m: ModelRecord) =>
      m.holdout
        ? {
            periods: m.holdout.periods,
            r2: m.holdout.rsq,
            nrmse: m.holdout.nrmse,
            mape: m.holdout.mape,
          }
        : null,
    channels: (m: ModelRecord) => m.channels.map((c) => channelView(m, c)),
    decomposition: async (
      m: ModelRecord,
      args: { from?: string | null; to?: string | null },
      ctx: ModelingContext,
    ) => decompositionView((await artifactOf(ctx, m)).model, args.from, args.to),
    responseCurves: async (
      m: ModelRecord,
      args: { channels?: string[] | null; points?: number | null; maxMultiple?: number | null },
      ctx: ModelingContext,
    ) =>
      responseCurvesView(
        (await artifactOf(ctx, m)).model,
        args.channels,
        args.points,
        args.maxMultiple,
      ),
    paretoFront: async (m: ModelRecord, _: unknown, ctx: ModelingContext) =>
      paretoView(await artifactOf(ctx, m)),
    lineage: (m: ModelRecord) => ({
      datasetId: m.datasetId,
      datasetHash: m.datasetHash,
      jobId: m.jobId,
      engine: m.engine.name,
      engineVersion: m.engine.version,
      seed: m.seed,
      settings: JSON.stringify(m.settings),
    }),
    candidatesCsv: (m: ModelRecord, _: unknown, ctx: ModelingContext) =>
      ctx.registry.candidatesCsv(m.id),
  },
  TrainingJob: {
    candidatesDone: (j: TrainingJobRecord) => j.candidates.done,
    candidatesTotal: (j: TrainingJobRecord) => j.candidates.total,
    bestNrmse: (j: TrainingJobRecord) => j.best?.nrmse ?? null,
    bestDecompRssd: (j: TrainingJobRecord) => j.best?.decompRssd ?? null,
    error: (j: TrainingJobRecord) => j.error?.message ?? null,
    errorCode: (j: TrainingJobRecord) => j.error?.code ?? null,
    model: (j: TrainingJobRecord, _: unknown, ctx: ModelingContext) =>
      j.modelId ? ctx.registry.get(j.modelId) : null,
  },
  Dataset: {
    models: (dataset: { id: string }, args: { stage?: ModelStage | null }, ctx: ModelingContext) =>
      isStorageId(dataset.id) ? models(ctx, dataset.id, args.stage) : [],
  },
};
