import { createHash } from 'node:crypto';
import {
  attributeJourneys,
  buildComparisonTable,
  resolveAttributionSettings,
  type AttributionOptions,
  type AttributionRun,
  type MediaMixModel,
} from '@mmm/core';
import {
  RevisionConflictError,
  type JourneyDatasetDescriptor,
  type Logger,
  type StoredJourneyTable,
} from '@mmm/platform';
import {
  JOURNEY_METHODS,
  type AttributionBook,
  type AttributionColumn,
  type AttributionMethod,
  type AttributionRecord,
  type AttributionSettingsRecord,
  type JourneyMethod,
} from './attributions';
import { AttributionInputError, asInputError, type InputProblem } from './errors';
import { mmmColumn, type ChannelMapping, type MmmColumn } from './mmm-column';

/** What a runAttribution request asks; omitted options take the core's defaults. */
export interface RunAttributionRequest {
  datasetId: string;
  /** Default: every journey method. MMM needs modelId (which adds it anyway). */
  methods?: AttributionMethod[] | null;
  halfLifeDays?: number | null;
  windowDays?: number | null;
  firstWeight?: number | null;
  lastWeight?: number | null;
  nonConverting?: 'INCLUDE' | 'EXCLUDE' | null;
  markovOrder?: number | null;
  shapleyWorth?: 'CONVERSION_RATE' | 'CONVERSIONS' | null;
  modelId?: string | null;
  channelMapping?: ChannelMapping[] | null;
}

/** Where a workspace's journeys and models are read from (the platform contracts). */
export interface AttributionSources {
  journeys(
    id: string,
  ): Promise<{ dataset: JourneyDatasetDescriptor; table: StoredJourneyTable } | null>;
  model(id: string): Promise<MediaMixModel | null>;
}

export interface AttributionAnnouncer {
  completed(record: AttributionRecord, scope: RequestScope): Promise<void>;
}

export interface RequestScope {
  workspaceId: string;
  requestId?: string;
}

export interface AttributionRunnerDeps {
  sources(workspaceId: string): AttributionSources;
  book(workspaceId: string): AttributionBook;
  announcer: AttributionAnnouncer;
  logger?: Logger;
  now?: () => Date;
}

/** The core's name of a journey method (LAST_TOUCH -> last_touch). */
const coreName = (method: JourneyMethod) => method.toLowerCase();

/** The run id: the same dataset, settings, model and mapping are the same run. */
export function attributionId(parts: {
  datasetId: string;
  methods: AttributionMethod[];
  settings: AttributionSettingsRecord;
  modelId: string | null;
  mapping: ChannelMapping[];
}): string {
  const canonical = JSON.stringify({
    datasetId: parts.datasetId,
    methods: parts.methods,
    settings: Object.fromEntries(
      Object.entries(parts.settings).sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
    modelId: parts.modelId,
    mapping: [...parts.mapping]
      .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
      .map((m) => [m.model, m.journey]),
  });
  return `at_${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}`;
}

function checkMethods(request: RunAttributionRequest): AttributionMethod[] {
  const asked = request.methods ?? [...JOURNEY_METHODS];
  const problems: InputProblem[] = [];
  if (asked.length === 0) problems.push({ field: 'methods', message: 'name at least one method' });
  for (const m of asked) {
    if (m !== 'MMM' && !(JOURNEY_METHODS as readonly string[]).includes(m)) {
      problems.push({ field: 'methods', message: `unknown method '${String(m)}'` });
    }
  }
  if (asked.includes('MMM') && !request.modelId) {
    problems.push({ field: 'modelId', message: 'the MMM column needs a model: give modelId' });
  }
  // Journey methods in the order asked, then MMM.
  const ordered = [...new Set(asked.filter((m): m is JourneyMethod => m !== 'MMM'))];
  if (asked.length > 0 && ordered.length === 0) {
    problems.push({ field: 'methods', message: 'name at least one journey method beside MMM' });
  }
  if (problems.length > 0) throw new AttributionInputError(problems);
  return request.modelId ? [...ordered, 'MMM'] : ordered;
}

function coreOptions(request: RunAttributionRequest): AttributionOptions {
  const options: AttributionOptions = {};
  if (request.windowDays != null) options.windowDays = request.windowDays;
  if (request.halfLifeDays != null) options.halfLifeDays = request.halfLifeDays;
  if (request.firstWeight != null) options.firstWeight = request.firstWeight;
  if (request.lastWeight != null) options.lastWeight = request.lastWeight;
  if (request.markovOrder != null) options.markovOrder = request.markovOrder;
  if (request.nonConverting != null) {
    options.nonConverting = request.nonConverting === 'EXCLUDE' ? 'exclude' : 'include';
  }
  if (request.shapleyWorth != null) {
    options.shapleyWorth =
      request.shapleyWorth === 'CONVERSIONS' ? 'conversions' : 'conversion_rate';
  }
  return options;
}

function columnsOf(
  run: AttributionRun,
  methods: JourneyMethod[],
  mmm: MmmColumn | null,
): { channels: string[]; columns: AttributionColumn[] } {
  const table = buildComparisonTable(
    run,
    mmm ? [{ name: 'mmm', unit: mmm.unit, credit: mmm.credit }] : [],
  );
  const columns = table.columns.map((column, k): AttributionColumn => {
    const journey = column.source === 'journeys';
    return {
      method: journey ? methods[k] : 'MMM',
      source: journey ? 'JOURNEYS' : 'MODEL',
      unit: journey ? 'BOTH' : mmm?.unit === 'conversions' ? 'CONVERSIONS' : 'VALUE',
      conversions: column.conversions,
      value: column.value,
      share: column.share,
    };
  });
  return { channels: table.channels, columns };
}

/** Runs the methods on a journey dataset, adds the MMM column, stores and announces the run. */
export function createAttributionRunner(deps: AttributionRunnerDeps) {
  const now = deps.now ?? (() => new Date());

  async function announce(
    book: AttributionBook,
    entry: { value: AttributionRecord; revision: number },
    scope: RequestScope,
  ): Promise<AttributionRecord> {
    const record = entry.value;
    if (!record.pendingEvent) return record;
    try {
      await deps.announcer.completed(record, scope);
    } catch (error) {
      // The run stands; running it again (same id) announces it, and JetStream drops a repeat.
      deps.logger?.error('could not announce attribution.completed', {
        attributionId: record.id,
        error: error instanceof Error ? error : String(error),
      });
      return record;
    }
    const done = { ...record, pendingEvent: false };
    try {
      await book.put(done, entry.revision);
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) throw error;
    }
    return done;
  }

  async function run(
    scope: RequestScope,
    request: RunAttributionRequest,
  ): Promise<AttributionRecord> {
    const methods = checkMethods(request);
    const journeyMethods = methods.filter((m): m is JourneyMethod => m !== 'MMM');
    const sources = deps.sources(scope.workspaceId);
    const [journeys, model] = await Promise.all([
      sources.journeys(request.datasetId),
      request.modelId ? sources.model(request.modelId) : Promise.resolve(null),
    ]);
    const missing: InputProblem[] = [];
    if (journeys === null) {
      missing.push({
        field: 'datasetId',
        message: `no journey dataset ${request.datasetId} in this workspace (ingestJourneys gives jd_ ids)`,
      });
    }
    if (request.modelId && model === null) {
      missing.push({ field: 'modelId', message: `no model ${request.modelId} in this workspace` });
    }
    if (missing.length > 0 || journeys === null) throw new AttributionInputError(missing);

    const options = coreOptions(request);
    let resolved;
    try {
      resolved = resolveAttributionSettings(journeys.table, options);
    } catch (error) {
      throw asInputError(error);
    }
    const settings: AttributionSettingsRecord = {
      windowDays: resolved.windowDays,
      halfLifeDays: resolved.halfLifeDays,
      firstWeight: resolved.firstWeight,
      lastWeight: resolved.lastWeight,
      nonConverting: resolved.nonConverting === 'exclude' ? 'EXCLUDE' : 'INCLUDE',
      markovOrder: resolved.markovOrder,
      shapleyWorth: resolved.shapleyWorth === 'conversions' ? 'CONVERSIONS' : 'CONVERSION_RATE',
    };
    const mapping = request.channelMapping ?? [];
    const modelId = request.modelId ?? null;
    const id = attributionId({ datasetId: request.datasetId, methods, settings, modelId, mapping });

    const book = deps.book(scope.workspaceId);
    const existing = await book.getEntry(id);
    if (existing) return announce(book, existing, scope);

    const mmm =
      model === null
        ? null
        : mmmColumn({
            model,
            from: journeys.dataset.startDate,
            to: journeys.dataset.endDate,
            journeyChannels: journeys.table.channels,
            mapping,
          });
    let result: AttributionRun;
    try {
      result = attributeJourneys(journeys.table, journeyMethods.map(coreName), options);
    } catch (error) {
      throw asInputError(error);
    }
    const { channels, columns } = columnsOf(result, journeyMethods, mmm);
    const markov = result.results.find((r) => r.method === 'markov');
    const shapley = result.results.find((r) => r.method === 'shapley');
    const record: AttributionRecord = {
      schemaVersion: 1,
      id,
      workspaceId: scope.workspaceId,
      datasetId: request.datasetId,
      modelId,
      methods,
      settings,
      totals: result.totals,
      channels,
      columns,
      mmm:
        mmm === null || modelId === null
          ? null
          : {
              modelId,
              kpiName: mmm.kpiName,
              kpiType: mmm.kpiType,
              unit: mmm.unit === 'conversions' ? 'CONVERSIONS' : 'VALUE',
              from: mmm.from,
              to: mmm.to,
              periods: mmm.periods,
              matches: mmm.matches,
            },
      markov:
        markov?.method === 'markov'
          ? {
              order: markov.order,
              states: markov.states,
              conversionProbability: markov.conversionProbability,
            }
          : null,
      shapley:
        shapley?.method === 'shapley'
          ? {
              worth: shapley.worth === 'conversions' ? 'CONVERSIONS' : 'CONVERSION_RATE',
              exact: shapley.exact,
              players: shapley.players,
              samples: shapley.samples,
            }
          : null,
      createdAt: now().toISOString(),
      pendingEvent: true,
    };

    let revision: number;
    try {
      revision = await book.put(record, 0);
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) throw error;
      // The same run, stored by a concurrent request: its record is ours.
      const winner = await book.getEntry(id);
      if (!winner) throw error;
      return announce(book, winner, scope);
    }
    deps.logger?.info('attribution stored', {
      attributionId: id,
      datasetId: request.datasetId,
      modelId,
      methods: methods.join(','),
    });
    return announce(book, { value: record, revision }, scope);
  }

  return { run };
}

export type AttributionRunner = ReturnType<typeof createAttributionRunner>;
