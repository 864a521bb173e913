import {
  allocateBudget,
  AllocationScenarioError,
  efficientFrontier,
  InfeasibleAllocationError,
  type AllocationResult,
  type MediaMixModel,
} from '@mmm/core';
import { ValidationError, type ValidationIssue } from '@mmm/platform';
import type { ScenarioRequest } from './scenario-input';

// The allocation itself: the engine on a parsed model, its two user-facing failures turned into
// BAD_USER_INPUT with the caller's field paths. Pure: no storage, no clock.

export interface FrontierEntry {
  budget: number;
  response: number;
  lift: number;
}

export interface Solution {
  allocation: AllocationResult;
  frontier: FrontierEntry[] | null;
}

/**
 * Alternative models for intervals. A saved model carries interval summaries of the fit, not
 * whole refitted models, so there is nothing to evaluate a plan under yet: the intervals stay
 * null until the model keeps its draws.
 */
export function modelDraws(_model: MediaMixModel): MediaMixModel[] {
  return [];
}

/** The engine's error as BAD_USER_INPUT naming the caller's fields; other errors pass. */
export function asValidationError(error: unknown, request: ScenarioRequest): unknown {
  if (error instanceof AllocationScenarioError) {
    const field = request.inputPath(error.field);
    if (error.field.startsWith('model.')) {
      return new ValidationError([{ field: 'modelId', message: error.message }]);
    }
    return new ValidationError([{ field: field ?? 'scenario', message: error.message }]);
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

/** Solves the request on the model (and its frontier when asked). */
export function solve(model: MediaMixModel, request: ScenarioRequest): Solution {
  const options = { draws: modelDraws(model) };
  try {
    const allocation = allocateBudget(model, request.scenario, options);
    let frontier: FrontierEntry[] | null = null;
    if (request.frontier) {
      const current = allocation.response.current.estimate;
      frontier = efficientFrontier(model, request.scenario, request.frontier, options).map((p) => ({
        budget: p.budget,
        response: p.response,
        lift: p.response - current,
      }));
    }
    return { allocation, frontier };
  } catch (error) {
    throw asValidationError(error, request);
  }
}
