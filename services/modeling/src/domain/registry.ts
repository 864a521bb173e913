import type { ScopedKv } from '@mmm/platform';

// The model registry as stored in KV (bucket mmm_models, kind 'model'; training jobs in mmm_jobs,
// kind 'training'), keyed `<workspace>.<kind>.<id>`. The training worker will write these; until
// it exists the registry is empty and every query answers so.

export const MODEL_KIND = 'model';
export const TRAINING_JOB_KIND = 'training';

export interface ModelMetrics {
  r2: number;
  nrmse: number;
  decompRssd: number;
  mape?: number | null;
}

export interface ModelRecord {
  id: string;
  datasetId: string;
  version: number;
  promoted: boolean;
  /** ISO-8601. */
  createdAt: string;
  metrics?: ModelMetrics | null;
}

export type TrainingJobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface TrainingJobRecord {
  id: string;
  datasetId: string;
  status: TrainingJobStatus;
  progress: number;
  modelId?: string | null;
  error?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ModelRegistry {
  /** Models of the workspace, newest first; only one dataset's when datasetId is given. */
  models(datasetId?: string): Promise<ModelRecord[]>;
  model(id: string): Promise<ModelRecord | null>;
  trainingJob(id: string): Promise<TrainingJobRecord | null>;
}

const newestFirst = (a: ModelRecord, b: ModelRecord) =>
  b.createdAt.localeCompare(a.createdAt) || b.version - a.version;

export interface RegistryStores {
  models: Pick<ScopedKv, 'get'>;
  jobs: Pick<ScopedKv, 'get'>;
  /** Every model of the workspace; from memory (a KV index) rather than a scan per call. */
  listModels(): Promise<Array<{ id: string; value: ModelRecord }>>;
}

/** The registry seen from one workspace: models in `models`, training jobs in `jobs`. */
export function createModelRegistry(stores: RegistryStores): ModelRegistry {
  return {
    async models(datasetId) {
      const all = await stores.listModels();
      return all
        .map((entry) => entry.value)
        .filter((model) => datasetId === undefined || model.datasetId === datasetId)
        .sort(newestFirst);
    },
    model: (id) => stores.models.get<ModelRecord>(MODEL_KIND, id),
    trainingJob: (id) => stores.jobs.get<TrainingJobRecord>(TRAINING_JOB_KIND, id),
  };
}
