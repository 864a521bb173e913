import * as path from 'node:path';
import {
  AllocationScenarioError,
  InfeasibleAllocationError,
  type AllocationScenario,
  type MediaMixModel,
} from '@mmm/core';
import type { Solution } from './solve';

// How the process talks to a solver thread (solver-thread.ts): one job at a time per thread;
// the engine's two user-facing errors cross as data and are rebuilt on this side.

export interface SolveJob {
  id: number;
  model: MediaMixModel;
  scenario: AllocationScenario;
  budgets: number[] | null;
}

export type EngineErrorData =
  | { kind: 'scenario'; field: string; problem: string }
  | { kind: 'infeasible'; rules: string[]; message: string }
  | { kind: 'other'; message: string };

export type SolveReply =
  | { ready: true }
  | { id: number; ok: true; solution: Solution }
  | { id: number; ok: false; error: EngineErrorData };

export function errorData(error: unknown): EngineErrorData {
  if (error instanceof AllocationScenarioError) {
    return { kind: 'scenario', field: error.field, problem: error.problem };
  }
  if (error instanceof InfeasibleAllocationError) {
    return { kind: 'infeasible', rules: error.rules, message: error.message };
  }
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

export function errorFromData(data: EngineErrorData): Error {
  if (data.kind === 'scenario') return new AllocationScenarioError(data.field, data.problem);
  if (data.kind === 'infeasible') {
    const error = new InfeasibleAllocationError(data.rules, '');
    // The detail is already in the message the thread built.
    error.message = data.message;
    return error;
  }
  return new Error(`solver thread: ${data.message}`);
}

/** Threads run compiled JS: under ts-jest this file is src/*.ts and the thread is in dist/. */
export function solverThreadFile(): string {
  if (__filename.endsWith('.ts')) {
    return path.resolve(__dirname, '..', '..', 'dist', 'src', 'domain', 'solver-thread.js');
  }
  return path.join(__dirname, 'solver-thread.js');
}
