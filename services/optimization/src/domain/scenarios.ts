import { createHash, randomUUID } from 'node:crypto';
import type { AllocationResult } from '@mmm/core';
import {
  readScenario,
  RevisionConflictError,
  SCENARIO_KIND,
  type KvIndex,
  type StoredScenario,
  type WorkspaceStorage,
} from '@mmm/platform';

// Solved scenarios in KV (bucket mmm_scenarios, kind 'scenario', key `<workspace>.scenario.<id>`)
// in the platform's contract shape (StoredScenario, read by reporting with readScenario). The
// allocation is the engine's AllocationResult as it is: the contract restates the fields readers
// use, and this interface only compiles while the engine's result stays assignable to it.

export { SCENARIO_KIND };

/** 'api' (optimizeBudget) or 'promotion' (the default scenario of a production model). */
export type ScenarioOrigin = 'api' | 'promotion';

export interface ScenarioRecord extends StoredScenario {
  origin: ScenarioOrigin;
  /**
   * The engine's result; numbers that are not finite (a marginal return at zero spend on a
   * curve that starts vertical) are stored as null, as JSON has no Infinity.
   */
  allocation: AllocationResult;
}

/** A fresh id for a scenario a caller asks for. */
export function newScenarioId(): string {
  return `sc_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

/**
 * The id of a model's default scenario: the same for every delivery of its promotion (and for
 * a later promotion of the same model, whose default scenario would be the same computation).
 */
export function defaultScenarioId(workspaceId: string, modelId: string): string {
  const digest = createHash('sha256').update(`promotion\n${workspaceId}\n${modelId}`).digest('hex');
  return `sc_${digest.slice(0, 24)}`;
}

function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** The record as JSON will keep it (so the mutation answers what later reads will). */
export function storable(record: ScenarioRecord): ScenarioRecord {
  return JSON.parse(JSON.stringify(record, finiteOrNull)) as ScenarioRecord;
}

const newestFirst = (a: ScenarioRecord, b: ScenarioRecord) =>
  b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export interface ScenarioBook {
  /** Stores a scenario unless one with its id exists; returns the stored one either way. */
  add(record: ScenarioRecord): Promise<{ record: ScenarioRecord; created: boolean }>;
  get(id: string): Promise<ScenarioRecord | null>;
  /** Scenarios solved on a model, newest first (from memory). */
  forModel(modelId: string): Promise<ScenarioRecord[]>;
}

/** The scenarios of one workspace: writes to KV, lists from the KV index. */
export function scenarioBook(
  storage: Pick<WorkspaceStorage, 'kv'>,
  index: Pick<KvIndex<ScenarioRecord>, 'list' | 'note'>,
): ScenarioBook {
  const kv = storage.kv.scenarios;
  const get = async (id: string) => (await readScenario(storage, id)) as ScenarioRecord | null;
  return {
    async add(record) {
      const value = storable(record);
      try {
        const revision = await kv.put(SCENARIO_KIND, value.id, value, { expectRevision: 0 });
        index.note(kv.workspaceId, value.id, value, revision);
        return { record: value, created: true };
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
        const existing = await get(value.id);
        if (!existing) throw error;
        return { record: existing, created: false };
      }
    },
    get,
    async forModel(modelId) {
      const all = await index.list(kv.workspaceId);
      return all
        .map((entry) => entry.value)
        .filter((s) => s.modelId === modelId)
        .sort(newestFirst);
    },
  };
}
