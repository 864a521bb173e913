import type { WorkspaceStorage } from '../storage';

// The fitted model as other services read it (optimization allocates on its response curves,
// reporting draws it, attribution puts its contributions beside click-based credit): the
// artifact the modeling service stores in the object store. The model inside is the engine's
// JSON (schema 2 or 3): read it with @mmm/core's parseModel, which checks every field.

/** Kinds of the registry's KV documents and stored files (`<workspace>.<kind>.<id>`). */
export const MODEL_KINDS = {
  /** KV (mmm_models): the model's record; object store: its artifact. */
  model: 'model',
  /** KV (mmm_models): the production model of a dataset, by dataset id. */
  production: 'production',
} as const;

/** The object stored for every model version. */
export interface StoredModelArtifact {
  schemaVersion: 1;
  /** The engine's model JSON (parse with @mmm/core parseModel). */
  model: unknown;
  /** The search's Pareto front: trial, index, objectives and hyperparameters of each member. */
  paretoFront: Array<{
    index: number;
    trial: number;
    objectives: Record<string, number>;
    hyperparameters: Record<string, number>;
  }>;
}

/** Which model serves a dataset. */
export interface ProductionPointer {
  datasetId: string;
  modelId: string;
  promotedAt: string;
}

type ModelStorage = Pick<WorkspaceStorage, 'kv' | 'files'>;

/** A model's artifact in a workspace, or null when there is no such model. */
export async function readModelArtifact(
  storage: Pick<WorkspaceStorage, 'files'>,
  modelId: string,
): Promise<StoredModelArtifact | null> {
  const bytes = await storage.files.get(MODEL_KINDS.model, modelId);
  if (!bytes) return null;
  const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<StoredModelArtifact>;
  if (value.schemaVersion !== 1 || typeof value.model !== 'object' || value.model === null) {
    throw new Error(`stored model ${modelId} is not a model artifact (schemaVersion 1)`);
  }
  return {
    schemaVersion: 1,
    model: value.model,
    paretoFront: Array.isArray(value.paretoFront) ? value.paretoFront : [],
  };
}

/** The production model of a dataset, or null when none was promoted. */
export function readProductionPointer(
  storage: ModelStorage,
  datasetId: string,
): Promise<ProductionPointer | null> {
  return storage.kv.models.get<ProductionPointer>(MODEL_KINDS.production, datasetId);
}
