import type { MediaMixModel } from '@mmm/core';
import type { ScenarioInput } from './scenario-input';

// The scenario every production model gets on promotion: today's budget over the next quarter,
// each channel free to move between half and twice its current spend. A quarter is the
// planning cycle budgets are set in, long enough for the carryover of a plan to show (the
// horizon mode also credits the tail after it) and short enough that the model's current spend
// levels are still a fair reference; the holdout would be another choice, but its length is a
// training setting (often zero), not a planning one.

/** Bounds of every channel in the default scenario, as multiples of current spend. */
export const DEFAULT_BOUNDS = { minMultiple: 0.5, maxMultiple: 2 } as const;

/** The horizon in model periods: `days` (a quarter, 91, by default) in the model's periods. */
export function defaultHorizon(model: MediaMixModel, days: number): number {
  const periodDays = model.periods.periodDays ?? 7;
  return Math.max(1, Math.round(days / periodDays));
}

/** The default scenario of a model, as a caller of optimizeBudget would send it. */
export function defaultScenarioInput(model: MediaMixModel, days: number): ScenarioInput {
  const periods = defaultHorizon(model, days);
  const periodDays = model.periods.periodDays ?? 7;
  const unit = periodDays === 7 ? 'weeks' : periodDays === 1 ? 'days' : 'periods';
  return {
    name: `Default: current budget over ${periods} ${unit}, each channel 0.5x-2x`,
    periods,
    objective: 'RESPONSE',
    defaultChannelRule: { ...DEFAULT_BOUNDS },
  };
}
