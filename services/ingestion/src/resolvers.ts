import {
  JOURNEY_DATASET_ID,
  NotFoundError,
  ValidationError,
  type GraphQLResolverMap,
  type SubgraphContext,
} from '@mmm/platform';
import type { DatasetCatalog, DatasetRecord, RequestScope } from './domain/catalog';
import type { JourneyCatalog } from './domain/journey-catalog';
import type { JourneyColumnMapping } from './domain/journeys';
import type {
  ConnectSourceRequest,
  PullOutcome,
  SourceCatalog,
  SourceRecord,
} from './domain/sources';
import type { SyntheticRequest, SyntheticSource } from './domain/synthetic';
import type { ColumnRoles, Frequency, KpiType, LongOptions, SourceFormat } from './domain/types';

export interface IngestionContext extends SubgraphContext {
  catalog: DatasetCatalog;
  journeys: JourneyCatalog;
  synthetic: SyntheticSource;
  sources: SourceCatalog;
}

interface LongFormatInput {
  columns?: Partial<Record<keyof LongOptions['columns'], string | null>> | null;
  channelMap?: Array<{ from: string; to: string }> | null;
  exposure?: LongOptions['exposure'] | null;
  series?: string | null;
}

type ConnectSourceInput = Omit<
  ConnectSourceRequest,
  'account' | 'query' | 'file' | 'conversionAction' | 'long'
> & {
  account?: string | null;
  query?: string | null;
  file?: string | null;
  conversionAction?: string | null;
  long?: LongFormatInput | null;
};

interface IngestJourneysInput {
  name?: string | null;
  content: string;
  format?: SourceFormat | null;
  columns?: Partial<Record<keyof JourneyColumnMapping, string | null>> | null;
}

interface IngestDatasetInput {
  name?: string | null;
  content: string;
  format?: SourceFormat | null;
  roles: {
    date: string;
    kpi: string;
    kpiType: KpiType;
    paidMedia: Array<{ spend: string; exposure?: string | null; channel?: string | null }>;
    organic?: string[] | null;
    controls?: string[] | null;
  };
  frequency: Frequency;
  aggregateToWeekly?: boolean | null;
  missingMediaAsZero?: boolean | null;
  autoTrain?: boolean | null;
  long?: LongFormatInput | null;
}

interface SyntheticDatasetInput {
  weeks?: number | null;
  channels?: number | null;
  seed?: number | null;
  noise?: number | null;
  startDate?: string | null;
  name?: string | null;
  autoTrain?: boolean | null;
}

const DATASET_ID = /^ds_[0-9a-f]{20}$/;
const SOURCE_ID = /^src_[0-9a-f]{16}$/;

/** The pivot options the caller gave, without nulls (defaults are the domain's). */
function longOptions(input: LongFormatInput | null | undefined): Partial<LongOptions> | undefined {
  if (!input) return undefined;
  const columns: Partial<LongOptions['columns']> = {};
  for (const [field, name] of Object.entries(input.columns ?? {})) {
    if (name !== null && name !== undefined) columns[field as keyof LongOptions['columns']] = name;
  }
  return {
    columns: columns as LongOptions['columns'],
    channelMap: input.channelMap ?? [],
    exposure: input.exposure ?? 'IMPRESSIONS',
  };
}

function pullResult(outcome: PullOutcome) {
  return outcome.ok
    ? { ok: true, source: outcome.source, dataset: outcome.dataset, failure: null }
    : { ok: false, source: outcome.source, dataset: null, failure: outcome.source.lastPull };
}

/** The mapping without the fields the caller left out or set to null. */
function journeyColumns(input: IngestJourneysInput['columns']): JourneyColumnMapping {
  const out: JourneyColumnMapping = {};
  for (const [field, name] of Object.entries(input ?? {})) {
    if (name !== null && name !== undefined) out[field as keyof JourneyColumnMapping] = name;
  }
  return out;
}

function scope(ctx: IngestionContext): RequestScope {
  return { workspaceId: ctx.workspaceId, requestId: ctx.requestId };
}

function roles(input: IngestDatasetInput['roles']): ColumnRoles {
  return {
    date: input.date,
    kpi: input.kpi,
    kpiType: input.kpiType,
    paidMedia: input.paidMedia.map((m) => ({
      spend: m.spend,
      exposure: m.exposure ?? null,
      channel: m.channel ?? null,
    })),
    organic: input.organic ?? [],
    controls: input.controls ?? [],
  };
}

function checkSlice(offset: number | null | undefined, limit: number | null | undefined) {
  const issues = [];
  if (offset != null && offset < 0)
    issues.push({ field: 'offset', message: 'offset must be 0 or more.' });
  if (limit != null && limit < 0)
    issues.push({ field: 'limit', message: 'limit must be 0 or more.' });
  if (issues.length > 0) throw new ValidationError(issues);
  return { offset: offset ?? 0, limit: limit ?? undefined };
}

export const resolvers: GraphQLResolverMap<IngestionContext> = {
  Query: {
    datasets: (_parent, _args, ctx: IngestionContext) => ctx.catalog.list(scope(ctx)),
    dataset: (_parent, { id }: { id: string }, ctx: IngestionContext) =>
      DATASET_ID.test(id) ? ctx.catalog.get(scope(ctx), id) : null,
    journeyDatasets: (_parent, _args, ctx: IngestionContext) => ctx.journeys.list(scope(ctx)),
    journeyDataset: (_parent, { id }: { id: string }, ctx: IngestionContext) =>
      JOURNEY_DATASET_ID.test(id) ? ctx.journeys.get(scope(ctx), id) : null,
    sources: (_parent, _args, ctx: IngestionContext) => ctx.sources.list(scope(ctx)),
    source: (_parent, { id }: { id: string }, ctx: IngestionContext) =>
      SOURCE_ID.test(id) ? ctx.sources.get(scope(ctx), id) : null,
  },
  Mutation: {
    ingestDataset: async (
      _parent,
      { input }: { input: IngestDatasetInput },
      ctx: IngestionContext,
    ) => {
      const outcome = await ctx.catalog.ingest(scope(ctx), {
        name: input.name,
        content: input.content,
        format: input.format ?? 'CSV',
        roles: roles(input.roles),
        frequency: input.frequency,
        aggregateToWeekly: input.aggregateToWeekly ?? false,
        missingMediaAsZero: input.missingMediaAsZero ?? false,
        autoTrain: input.autoTrain ?? false,
        long: longOptions(input.long) as LongOptions | undefined,
        series: input.long?.series ?? null,
      });
      return outcome.dataset;
    },
    deleteDataset: (_parent, { id }: { id: string }, ctx: IngestionContext) =>
      DATASET_ID.test(id) ? ctx.catalog.delete(scope(ctx), id) : false,
    generateSyntheticDataset: async (
      _parent,
      { input }: { input?: SyntheticDatasetInput | null },
      ctx: IngestionContext,
    ) => {
      const request: SyntheticRequest = {
        weeks: input?.weeks ?? undefined,
        channels: input?.channels ?? undefined,
        seed: input?.seed ?? undefined,
        noise: input?.noise ?? undefined,
        startDate: input?.startDate ?? undefined,
      };
      const generated = ctx.synthetic.generate(request);
      const { dataset } = await ctx.catalog.ingest(scope(ctx), {
        ...generated.ingest,
        name: input?.name?.trim() || generated.ingest.name,
        autoTrain: input?.autoTrain ?? false,
      });
      return { dataset, truth: generated.truth };
    },
    ingestJourneys: async (
      _parent,
      { input }: { input: IngestJourneysInput },
      ctx: IngestionContext,
    ) => {
      const outcome = await ctx.journeys.ingest(scope(ctx), {
        name: input.name,
        content: input.content,
        format: input.format ?? 'CSV',
        columns: journeyColumns(input.columns),
      });
      return outcome.dataset;
    },
    connectSource: (_parent, { input }: { input: ConnectSourceInput }, ctx: IngestionContext) =>
      ctx.sources.connect(scope(ctx), {
        ...input,
        account: input.account ?? null,
        query: input.query ?? null,
        file: input.file ?? null,
        conversionAction: input.conversionAction ?? null,
        long: longOptions(input.long),
      }),
    pullSource: async (
      _parent,
      args: { sourceId: string; dateRange?: { start?: string | null; end?: string | null } | null },
      ctx: IngestionContext,
    ) => {
      if (!SOURCE_ID.test(args.sourceId)) throw new NotFoundError('source', args.sourceId);
      const outcome = await ctx.sources.pull(scope(ctx), args.sourceId, {
        start: args.dateRange?.start ?? undefined,
        end: args.dateRange?.end ?? undefined,
      });
      return pullResult(outcome);
    },
  },
  Source: {
    dataset: (record: SourceRecord, _args: unknown, ctx: IngestionContext) =>
      record.datasetId === null ? null : ctx.catalog.get(scope(ctx), record.datasetId),
  },
  JourneyDataset: {
    __resolveReference: (reference: { id: string }, ctx: IngestionContext) =>
      JOURNEY_DATASET_ID.test(reference.id) ? ctx.journeys.get(scope(ctx), reference.id) : null,
  },
  Dataset: {
    __resolveReference: (reference: { id: string }, ctx: IngestionContext) =>
      DATASET_ID.test(reference.id) ? ctx.catalog.get(scope(ctx), reference.id) : null,
    organicColumns: (record: DatasetRecord) => record.organic,
    autoTrain: (record: DatasetRecord) => record.autoTrain ?? false,
    controlColumns: (record: DatasetRecord) => record.controls,
    table: async (
      record: DatasetRecord,
      args: { offset?: number | null; limit?: number | null },
      ctx: IngestionContext,
    ) => {
      const { offset, limit } = checkSlice(args.offset, args.limit);
      const table = await ctx.catalog.table(record);
      const end = limit === undefined ? undefined : offset + limit;
      return {
        dates: table.dates.slice(offset, end),
        columns: table.columns.map((c) => ({ ...c, values: c.values.slice(offset, end) })),
        offset,
        totalPeriods: table.dates.length,
      };
    },
  },
};
