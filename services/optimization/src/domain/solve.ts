import {
  allocateBudget,
  AllocationScenarioError,
  efficientFrontier,
  InfeasibleAllocationError,
  modelDraws,
  type AllocationResult,
  type AllocationScenario,
  type MediaMixModel,
} from '@mmm/core';
import { ValidationError, type ValidationIssue } from '@mmm/platform';
import type { ScenarioRequest } from './scenario-input';

// The allocation itself: the engine on a parsed model (pure: no storage, no clock), and its two
// user-facing failures turned into BAD_USER_INPUT with the caller's field paths.

export interface FrontierEntry {
  budget: number;
  response: number;
  lift: number;
}

export interface Solution {
  allocation: AllocationResult;
  frontier: FrontierEntry[] | null;
}

/** The allocation of a scenario, and the frontier at `budgets` when given; engine errors pass. */
export function solveScenario(
  model: MediaMixModel,
  scenario: AllocationScenario,
  budgets: number[] | null,
): Solution {
  // The intervals of the response and lift: the plan evaluated under each of the model's draws
  // (none for a model saved before schema 4: then they stay null).
  const options = {
    draws: modelDraws(model),
    intervalLevel: model.uncertainty?.level ?? 0.9,
  };
  const allocation = allocateBudget(model, scenario, options);
  if (!budgets) return { allocation, frontier: null };
  const current = allocation.response.current.estimate;
  const frontier = efficientFrontier(model, scenario, budgets, options).map((p) => ({
    budget: p.budget,
    response: p.response,
    lift: p.response - current,
  }));
  return { allocation, frontier };
}

/** The engine's error as BAD_USER_INPUT naming the caller's fields; other errors pass. */
export function asValidationError(error: unknown, request: ScenarioRequest): unknown {
  if (error instanceof AllocationScenarioError) {
    if (error.field.startsWith('model.')) {
      return new ValidationError([{ field: 'modelId', message: error.message }]);
    }
    const field = request.inputPath(error.field) ?? 'scenario';
    return new ValidationError([{ field, message: error.message }]);
  }
  if (error instanceof InfeasibleAllocationError) {
    // One issue per conflicting rule that is a field of the input (a rule like `spend >= 0`
    // is not); the message names every rule in the engine's terms, as `binding` does.
    const fields = [
      ...new Set(error.rules.map((r) => request.inputPath(r)).filter((f) => f !== null)),
    ];
    const issues: ValidationIssue[] = (fields.length ? fields : ['scenario']).map((field) => ({
      field,
      message: error.message,
    }));
    return new ValidationError(issues, error.message);
  }
  return error;
}
