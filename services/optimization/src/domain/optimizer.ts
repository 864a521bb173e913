import type { MediaMixModel } from '@mmm/core';
import {
  PermanentFailure,
  ValidationError,
  type KvIndex,
  type Logger,
  type WorkspaceStorage,
} from '@mmm/platform';
import { defaultScenarioInput } from './default-scenario';
import type { OptimizationMetrics } from './metrics';
import type { ModelSource } from './models';
import { scenarioRequest, type ScenarioInput, type ScenarioRequest } from './scenario-input';
import {
  defaultScenarioId,
  newScenarioId,
  scenarioBook,
  type ScenarioBook,
  type ScenarioOrigin,
  type ScenarioRecord,
} from './scenarios';
import type { Solver } from './solver';

// A scenario's life: the model read through the contract, the allocation solved, the record
// stored (the commit point), then optimization.completed announced. The same steps serve
// optimizeBudget and a production model's default scenario.

export interface Caller {
  workspaceId: string;
  requestId?: string;
}

export interface Promotion {
  modelId: string;
  datasetId: string;
}

export interface OptimizerDeps {
  storage: (workspaceId: string) => WorkspaceStorage;
  models: ModelSource;
  solver: Solver;
  index: Pick<KvIndex<ScenarioRecord>, 'list' | 'note'>;
  /** Publishes optimization.completed for a stored scenario (deduplicated per scenario). */
  announce: (record: ScenarioRecord, requestId?: string) => Promise<void>;
  /** Horizon of the default scenario, in days. */
  defaultScenarioDays: number;
  metrics?: OptimizationMetrics;
  logger: Logger;
  now?: () => Date;
}

export interface Optimizer {
  /** Solves, stores and announces a caller's scenario; BAD_USER_INPUT names what is wrong. */
  optimize(caller: Caller, modelId: string, input: ScenarioInput): Promise<ScenarioRecord>;
  /**
   * The default scenario of a promoted model: stored once per model (however often the
   * promotion arrives) and announced; PermanentFailure when it cannot be made.
   */
  promoted(caller: Caller, promotion: Promotion): Promise<ScenarioRecord>;
  /** The scenarios of a workspace. */
  book(workspaceId: string): ScenarioBook;
}

/** The stored input: the scenario as the engine solved it (the form of mmm allocate's rules). */
function storedInput(request: ScenarioRequest, input: ScenarioInput): Record<string, unknown> {
  const frontier = input.frontier
    ? { from: input.frontier.from, to: input.frontier.to, steps: input.frontier.steps }
    : undefined;
  return JSON.parse(JSON.stringify({ ...request.scenario, frontier })) as Record<string, unknown>;
}

export function createOptimizer(deps: OptimizerDeps): Optimizer {
  const now = deps.now ?? (() => new Date());
  const book = (workspaceId: string) => scenarioBook(deps.storage(workspaceId), deps.index);

  async function store(
    caller: Caller,
    id: string,
    origin: ScenarioOrigin,
    model: MediaMixModel,
    modelId: string,
    datasetId: string,
    input: ScenarioInput,
    request: ScenarioRequest,
  ): Promise<ScenarioRecord> {
    try {
      const started = performance.now();
      const solution = await deps.solver.solve(model, request);
      deps.metrics?.solveDuration.observe(
        { objective: solution.allocation.objective, method: solution.allocation.method },
        (performance.now() - started) / 1000,
      );
      const { record, created } = await book(caller.workspaceId).add({
        schemaVersion: 1,
        id,
        workspaceId: caller.workspaceId,
        modelId,
        datasetId: model.provenance?.dataset?.id ?? datasetId,
        name: request.name,
        createdAt: now().toISOString(),
        origin,
        input: storedInput(request, input),
        allocation: solution.allocation,
        frontier: solution.frontier,
      });
      deps.metrics?.scenarios.inc({ origin, outcome: created ? 'stored' : 'existing' });
      await deps.announce(record, caller.requestId);
      deps.logger.info(created ? 'scenario stored' : 'scenario existed', {
        scenarioId: id,
        modelId,
        origin,
        status: record.allocation.status,
        method: record.allocation.method,
      });
      return record;
    } catch (error) {
      if (error instanceof ValidationError)
        deps.metrics?.scenarios.inc({ origin, outcome: 'invalid' });
      throw error;
    }
  }

  return {
    async optimize(caller, modelId, input) {
      // The input's own shape first: it needs no storage.
      const request = scenarioRequest(input);
      const model = await deps.models.load(caller.workspaceId, modelId);
      if (!model) {
        deps.metrics?.scenarios.inc({ origin: 'api', outcome: 'invalid' });
        throw new ValidationError([
          { field: 'modelId', message: `modelId: no model ${modelId} in this workspace` },
        ]);
      }
      return store(caller, newScenarioId(), 'api', model, modelId, '', input, request);
    },

    async promoted(caller, promotion) {
      const id = defaultScenarioId(caller.workspaceId, promotion.modelId);
      const existing = await book(caller.workspaceId).get(id);
      if (existing) {
        // Stored by an earlier delivery, which may have stopped before announcing it.
        deps.metrics?.scenarios.inc({ origin: 'promotion', outcome: 'existing' });
        await deps.announce(existing, caller.requestId);
        return existing;
      }
      const model = await deps.models.load(caller.workspaceId, promotion.modelId);
      if (!model) {
        throw new PermanentFailure(
          'MODEL_NOT_FOUND',
          `model ${promotion.modelId} of workspace ${caller.workspaceId} was promoted but is not stored`,
        );
      }
      const input = defaultScenarioInput(model, deps.defaultScenarioDays);
      try {
        return await store(
          caller,
          id,
          'promotion',
          model,
          promotion.modelId,
          promotion.datasetId,
          input,
          scenarioRequest(input),
        );
      } catch (error) {
        // The model cannot take its default scenario (e.g. it has no paid channel): retrying
        // cannot change that.
        if (error instanceof ValidationError) {
          throw new PermanentFailure('INVALID_REQUEST', error.message, { cause: error });
        }
        throw error;
      }
    },

    book,
  };
}
