import { parseModel, type DrawInterval, type MediaMixModel } from '@mmm/core';
import {
  MODEL_KINDS,
  readModelArtifact,
  RevisionConflictError,
  type DatasetChannel,
  type DatasetDescriptor,
  type ProductionPointer,
  type StoredModelArtifact,
  type ScopedFiles,
  type ScopedKv,
} from '@mmm/platform';
import type { TrainingJobRecord } from './jobs';
import type { ChannelSummary, FittedModelResult, ParetoMember } from './task-results';

// The model registry (the seed's MLflow role) on JetStream: per model version a KV record
// (bucket mmm_models, kind 'model': what lists and most queries need) and an artifact in the
// object store (kind 'model': the whole model, which predicts, decomposes and draws curves, and
// its Pareto front). The production model of each dataset is a pointer (kind 'production'),
// moved by compare-and-set, so two promotions at once still leave exactly one.

export const MODEL_KIND = MODEL_KINDS.model;
export const PRODUCTION_KIND = MODEL_KINDS.production;
/** Per dataset, the last version number given (kind 'model-line'). */
export const LINE_KIND = 'model-line';
export const CANDIDATES_KIND = 'model-candidates';

export type ModelStage = 'CANDIDATE' | 'PRODUCTION' | 'ARCHIVED';

/** An interval with its point estimate; lower/upper null where none was computed. */
export interface EstimateInterval {
  estimate: number;
  lower: number | null;
  upper: number | null;
  level: number | null;
  /**
   * 'posterior-bootstrap' (over the model's draws: hyperparameters, coefficients, noise),
   * 'posterior' (over the hyperparameters) or 'bootstrap'; null without an interval.
   */
  method: string | null;
}

export interface ChannelRecord extends ChannelSummary {
  coefficient: number;
  /** Adstock and saturation hyperparameters by name (theta, shape, scale, alpha, gamma, lam). */
  hyperparameters: Record<string, number>;
  roasInterval: EstimateInterval | null;
  cpaInterval: EstimateInterval | null;
  contributionInterval: EstimateInterval | null;
}

export interface ModelDrift {
  /** The newer dataset the production model was scored on. */
  datasetId: string;
  newPeriods: number;
  /** MAPE of the model's predictions on the new periods. */
  mape: number;
  /** The model's MAPE on its own training periods. */
  baselineMape: number;
  measuredAt: string;
}

/** The column roles of a model's dataset: a newer dataset with the same ones is its series. */
export interface DatasetRoles {
  kpiColumn: string;
  frequency: string;
  channels: DatasetChannel[];
  organic: string[];
  controls: string[];
}

export function datasetRoles(dataset: DatasetDescriptor): DatasetRoles {
  return {
    kpiColumn: dataset.kpiColumn,
    frequency: dataset.frequency,
    channels: dataset.channels,
    organic: dataset.organic,
    controls: dataset.controls,
  };
}

export function sameRoles(a: DatasetRoles, b: DatasetRoles): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ModelRecord {
  schemaVersion: 1;
  id: string;
  workspaceId: string;
  datasetId: string;
  datasetHash: string;
  datasetRoles: DatasetRoles;
  jobId: string;
  /** Version within the dataset's model line, from 1. */
  version: number;
  createdAt: string;
  kpi: { name: string; type: 'revenue' | 'conversions' };
  adstock: string;
  saturation: string;
  periods: { count: number; trainEnd: number; startDate: string | null; endDate: string | null };
  metrics: { rsq: number; adjustedRsq: number; nrmse: number; mape: number; decompRssd: number };
  holdout: { periods: number; rsq: number; nrmse: number; mape: number } | null;
  channels: ChannelRecord[];
  search: {
    candidates: number;
    paretoFrontSize: number;
    selection: string;
    seconds: number;
    tasks: number;
  };
  /** The training settings as given. */
  settings: Record<string, unknown>;
  engine: { name: string; version: string };
  seed: number;
  promotedAt: string | null;
  archivedAt: string | null;
  drift: ModelDrift | null;
}

/** The object stored beside the record (the platform's StoredModelArtifact), parsed. */
export interface ModelArtifact {
  schemaVersion: 1;
  model: MediaMixModel;
  paretoFront: ParetoMember[];
}

export type { ProductionPointer };

/** Stage of a model given its dataset's production pointer. */
export function stageOf(record: ModelRecord, pointer: ProductionPointer | null): ModelStage {
  if (pointer?.modelId === record.id) return 'PRODUCTION';
  return record.promotedAt ? 'ARCHIVED' : 'CANDIDATE';
}

function interval(
  estimate: number | null,
  draws: DrawInterval | null | undefined,
  level: number,
  method: string,
): EstimateInterval | null {
  if (estimate === null) return null;
  if (!draws) return { estimate, lower: null, upper: null, level: null, method: null };
  return { estimate, lower: draws.lower, upper: draws.upper, level, method };
}

/** The registry record of a fitted model. */
export function modelRecord(
  id: string,
  job: Pick<TrainingJobRecord, 'id' | 'workspaceId' | 'datasetId' | 'settings' | 'tasks'>,
  result: FittedModelResult,
  model: MediaMixModel,
  version: number,
  createdAt: string,
  roles: DatasetRoles,
): ModelRecord {
  const uncertainty = model.uncertainty;
  const level = uncertainty?.level ?? 0.9;
  const channels = result.channels.map((summary): ChannelRecord => {
    const channel = model.channels.find((c) => c.name === summary.name);
    if (!channel) throw new Error(`model has no channel ${summary.name}`);
    const posterior = uncertainty?.posterior?.channels.find((c) => c.name === summary.name);
    const bootstrap = uncertainty?.bootstrap?.channels.find((c) => c.name === summary.name);
    const hyperparameters: Record<string, number> = {};
    for (const [key, value] of Object.entries(channel.adstock)) {
      if (key === 'theta' || key === 'shape' || key === 'scale') hyperparameters[key] = value;
    }
    const s = channel.saturation;
    if (s.type === 'hill') Object.assign(hyperparameters, { alpha: s.alpha, gamma: s.gamma });
    else hyperparameters.lam = s.lam;
    // The model's draws carry the whole uncertainty (schema 4); a model saved before them has
    // the posterior's spread (the default choice's own), else the bootstrap's.
    const combined = uncertainty?.combined;
    const drawn = combined?.channels.find((c) => c.name === summary.name);
    if (combined && drawn) {
      return {
        ...summary,
        coefficient: channel.coefficient,
        hyperparameters,
        roasInterval: interval(summary.roas, drawn.roas, level, combined.method),
        cpaInterval: interval(summary.cpa, drawn.cpa, level, combined.method),
        contributionInterval: interval(
          summary.contribution,
          drawn.contribution,
          level,
          combined.method,
        ),
      };
    }
    const roasDraws = posterior?.roas ?? bootstrap?.roas;
    const cpaDraws = posterior ? posterior.cpa : bootstrap?.cpa;
    const method = posterior ? 'posterior' : 'bootstrap';
    return {
      ...summary,
      coefficient: channel.coefficient,
      hyperparameters,
      roasInterval: interval(summary.roas, roasDraws, level, method),
      cpaInterval: interval(summary.cpa, cpaDraws, level, method),
      contributionInterval: interval(
        summary.contribution,
        bootstrap?.contribution,
        level,
        'bootstrap',
      ),
    };
  });
  const provenance = model.provenance;
  const dates = model.periods.dates;
  return {
    schemaVersion: 1,
    id,
    workspaceId: job.workspaceId,
    datasetId: job.datasetId,
    datasetHash: provenance?.dataset?.contentHash ?? '',
    datasetRoles: roles,
    jobId: job.id,
    version,
    createdAt,
    kpi: model.kpi,
    adstock: model.adstock,
    saturation: model.channels[0]?.saturation.type ?? 'hill',
    periods: {
      count: model.periods.count,
      trainEnd: model.periods.trainEnd,
      startDate: dates?.[0] ?? null,
      endDate: dates?.[dates.length - 1] ?? null,
    },
    metrics: {
      rsq: model.metrics.rsq,
      adjustedRsq: model.metrics.adjustedRsq,
      nrmse: model.metrics.nrmse,
      mape: model.metrics.mape,
      decompRssd: model.metrics.decompRssd,
    },
    holdout: model.metrics.holdout ?? null,
    channels,
    search: {
      candidates: result.candidates,
      paretoFrontSize: result.paretoFront.length,
      selection:
        typeof provenance?.search.selection === 'string'
          ? provenance.search.selection
          : 'nrmse-tolerance',
      seconds: result.searchSeconds,
      tasks: job.tasks,
    },
    settings: job.settings,
    engine: provenance?.engine ?? { name: '@mmm/core', version: 'unknown' },
    seed: provenance?.seed ?? 0,
    promotedAt: null,
    archivedAt: null,
    drift: null,
  };
}

export interface RegistryStores {
  models: ScopedKv;
  files: ScopedFiles;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The registry of one workspace. */
export function modelRegistry(stores: RegistryStores, now: () => Date = () => new Date()) {
  const { models, files } = stores;

  async function nextVersion(datasetId: string): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const entry = await models.getEntry<{ last: number }>(LINE_KIND, datasetId);
      const version = (entry?.value.last ?? 0) + 1;
      try {
        await models.put(
          LINE_KIND,
          datasetId,
          { last: version },
          { expectRevision: entry?.revision ?? 0 },
        );
        return version;
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
    throw new Error(`the model line of dataset ${datasetId} kept changing`);
  }

  /**
   * Stores a job's model: the artifact first, then the record (the commit point, written only
   * if absent). A job that runs again after a crash finds its record and stores nothing twice;
   * a crash between the version number and the record leaves a gap in the versions, never two
   * models.
   */
  async function commit(
    id: string,
    job: Pick<TrainingJobRecord, 'id' | 'workspaceId' | 'datasetId' | 'settings' | 'tasks'>,
    result: FittedModelResult,
    dataset: DatasetDescriptor,
  ): Promise<{ record: ModelRecord; created: boolean }> {
    const existing = await models.get<ModelRecord>(MODEL_KIND, id);
    if (existing) return { record: existing, created: false };
    const model = parseModel(result.model);
    const artifact: StoredModelArtifact = {
      schemaVersion: 1,
      model,
      paretoFront: result.paretoFront,
    };
    await files.put(MODEL_KIND, id, encoder.encode(JSON.stringify(artifact, finiteJson)));
    if (result.candidatesCsv) {
      await files.put(CANDIDATES_KIND, id, encoder.encode(result.candidatesCsv));
    }
    const version = await nextVersion(job.datasetId);
    const record = modelRecord(
      id,
      job,
      result,
      model,
      version,
      now().toISOString(),
      datasetRoles(dataset),
    );
    try {
      await models.put(MODEL_KIND, id, record, { expectRevision: 0 });
      return { record, created: true };
    } catch (error) {
      if (!(error instanceof RevisionConflictError)) throw error;
      const winner = await models.get<ModelRecord>(MODEL_KIND, id);
      if (!winner) throw error;
      return { record: winner, created: false };
    }
  }

  async function artifact(id: string): Promise<ModelArtifact | null> {
    const stored = await readModelArtifact({ files }, id);
    if (!stored) return null;
    return { schemaVersion: 1, model: parseModel(stored.model), paretoFront: stored.paretoFront };
  }

  async function update(id: string, change: (record: ModelRecord) => ModelRecord | null) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const entry = await models.getEntry<ModelRecord>(MODEL_KIND, id);
      if (!entry) return null;
      const next = change(entry.value);
      if (!next) return entry.value;
      try {
        await models.put(MODEL_KIND, id, next, { expectRevision: entry.revision });
        return next;
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
      }
    }
    throw new Error(`model ${id} kept changing`);
  }

  /**
   * Makes a model its dataset's production model: the pointer moves by compare-and-set (the
   * commit point), then the new model is marked promoted and the previous one archived.
   */
  async function promote(
    id: string,
  ): Promise<{ record: ModelRecord; previous: string | null } | null> {
    const record = await models.get<ModelRecord>(MODEL_KIND, id);
    if (!record) return null;
    const at = now().toISOString();
    let previous: string | null = null;
    for (let attempt = 0; ; attempt++) {
      const entry = await models.getEntry<ProductionPointer>(PRODUCTION_KIND, record.datasetId);
      previous = entry?.value.modelId ?? null;
      if (previous === id) break;
      try {
        await models.put(
          PRODUCTION_KIND,
          record.datasetId,
          { datasetId: record.datasetId, modelId: id, promotedAt: at },
          { expectRevision: entry?.revision ?? 0 },
        );
        break;
      } catch (error) {
        if (!(error instanceof RevisionConflictError) || attempt >= 20) throw error;
      }
    }
    const promoted = await update(id, (r) => (r.promotedAt ? null : { ...r, promotedAt: at }));
    if (previous && previous !== id) {
      await update(previous, (r) => (r.archivedAt ? null : { ...r, archivedAt: at }));
    }
    return { record: promoted ?? record, previous: previous === id ? null : previous };
  }

  return {
    commit,
    artifact,
    update,
    promote,
    get: (id: string) => models.get<ModelRecord>(MODEL_KIND, id),
    production: (datasetId: string) => models.get<ProductionPointer>(PRODUCTION_KIND, datasetId),
    candidatesCsv: async (id: string) => {
      const bytes = await files.get(CANDIDATES_KIND, id);
      return bytes ? decoder.decode(bytes) : null;
    },
  };
}

export type ModelRegistry = ReturnType<typeof modelRegistry>;

function finiteJson(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
