/**
 * What an allocation earns under a model: incremental KPI per channel over the horizon (the
 * allocator's objective) and the expected KPI over the horizon (the model's forecast, baseline
 * and synergy terms included), and intervals of both over alternative models (posterior or
 * bootstrap draws).
 */
import type { MediaMixModel } from '../model/model';
import { forecast } from '../model/predict';
import { channelResponseCurve } from './curves';
import { AllocationScenarioError } from './errors';
import type { CarryoverMode } from './scenario';

/** Spend per period by paid channel name. */
export type SpendPlan = Record<string, number>;

export interface AllocationEvaluation {
  /** Incremental KPI per channel over the horizon (and the carryover after it). */
  channels: Record<string, number>;
  /** Sum over the channels. */
  response: number;
  /** Predicted KPI summed over the horizon's periods (baseline, media, synergy). */
  expectedKpi: number;
}

export interface EvaluationSettings {
  periods: number;
  /** Default 'horizon'. */
  carryover?: CarryoverMode;
}

function paidChannel(model: MediaMixModel, name: string, field: string) {
  const channel = model.channels.find((c) => c.name === name && c.kind === 'paid');
  if (!channel) throw new AllocationScenarioError(field, `the model has no paid channel '${name}'`);
  return channel;
}

/**
 * Evaluate a plan: paid channels not in `spend` keep their current spend (the model's mean
 * spend per period); organic channels their mean activity.
 */
export function evaluateAllocation(
  model: MediaMixModel,
  settings: EvaluationSettings,
  spend: SpendPlan,
): AllocationEvaluation {
  const periods = settings.periods;
  if (!Number.isInteger(periods) || periods < 1) {
    throw new AllocationScenarioError('periods', `expected an integer >= 1, got ${periods}`);
  }
  for (const [name, x] of Object.entries(spend)) {
    paidChannel(model, name, `spend.${name}`);
    if (!(x >= 0) || !Number.isFinite(x)) {
      throw new AllocationScenarioError(`spend.${name}`, `must be a finite number >= 0, got ${x}`);
    }
  }
  const channels: Record<string, number> = {};
  const media: Record<string, Float64Array> = {};
  let response = 0;
  for (const channel of model.channels) {
    if (channel.kind !== 'paid') continue;
    const x = spend[channel.name] ?? channel.meanSpend;
    const curve = channelResponseCurve(model, channel, periods, settings.carryover ?? 'horizon');
    channels[channel.name] = curve.value(x);
    response += channels[channel.name];
    media[channel.name] = new Float64Array(periods).fill(x / channel.costPerUnit);
  }
  const kpi = forecast(model, { periods, media }).fitted;
  let expectedKpi = 0;
  for (let t = 0; t < kpi.length; t++) expectedKpi += kpi[t];
  return { channels, response, expectedKpi };
}

export interface EstimateInterval {
  /** The value under the main model. */
  estimate: number;
  /** Quantiles over the draws; null without draws. */
  lower: number | null;
  upper: number | null;
}

function quantile(sorted: number[], p: number): number {
  if (sorted.length === 1) return sorted[0];
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  return (
    sorted[i] + (h - i) * ((sorted[Math.min(i + 1, sorted.length - 1)] ?? sorted[i]) - sorted[i])
  );
}

/** An estimate with the central `level` interval of its values over the draws. */
export function interval(estimate: number, draws: number[], level: number): EstimateInterval {
  if (draws.length === 0) return { estimate, lower: null, upper: null };
  const sorted = draws.slice().sort((a, b) => a - b);
  return {
    estimate,
    lower: quantile(sorted, (1 - level) / 2),
    upper: quantile(sorted, (1 + level) / 2),
  };
}

export interface AllocationIntervals {
  /** Incremental KPI of the recommended and current plans, and their difference (lift). */
  response: { recommended: EstimateInterval; current: EstimateInterval; lift: EstimateInterval };
  /** Predicted KPI over the horizon under each plan, and the difference. */
  expectedKpi: { recommended: EstimateInterval; current: EstimateInterval; lift: EstimateInterval };
  draws: number;
}

/**
 * Intervals of what a fixed plan earns, over alternative models: each draw is evaluated at
 * the same spend (the plan is not re-optimized per draw), so the intervals show how sure the
 * model is of the plan's outcome and of its lift over the current plan. Draws are whole models
 * (e.g. refits at posterior draws of the hyperparameters, or bootstrap refits) with the same
 * paid channels; `current` defaults to each model's own mean spend.
 */
export function allocationIntervals(
  model: MediaMixModel,
  draws: MediaMixModel[],
  settings: EvaluationSettings,
  recommended: SpendPlan,
  current?: SpendPlan,
  level = 0.9,
): AllocationIntervals {
  if (!(level > 0 && level < 1)) {
    throw new AllocationScenarioError('level', `expected a probability in (0, 1), got ${level}`);
  }
  const currentPlan =
    current ??
    Object.fromEntries(
      model.channels.filter((c) => c.kind === 'paid').map((c) => [c.name, c.meanSpend]),
    );
  const evaluate = (m: MediaMixModel) => {
    const rec = evaluateAllocation(m, settings, recommended);
    const cur = evaluateAllocation(m, settings, currentPlan);
    return [
      rec.response,
      cur.response,
      rec.response - cur.response,
      rec.expectedKpi,
      cur.expectedKpi,
      rec.expectedKpi - cur.expectedKpi,
    ];
  };
  const main = evaluate(model);
  const values = draws.map((draw, d) => {
    try {
      return evaluate(draw);
    } catch (error) {
      if (error instanceof AllocationScenarioError) {
        throw new AllocationScenarioError(`draws[${d}]`, error.message);
      }
      throw error;
    }
  });
  const at = (i: number) =>
    interval(
      main[i],
      values.map((v) => v[i]),
      level,
    );
  return {
    response: { recommended: at(0), current: at(1), lift: at(2) },
    expectedKpi: { recommended: at(3), current: at(4), lift: at(5) },
    draws: draws.length,
  };
}
