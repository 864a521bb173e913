/**
 * From a chosen candidate to a fitted model and its outputs: refit with the chosen
 * hyperparameters, fit and holdout metrics, per-period decomposition, per-channel spend and
 * effect shares, ROAS (CPA for a conversions KPI), marginal ROAS, carryover share, response
 * curves, and block-bootstrap intervals.
 */
import {
  createCandidateContext,
  createCandidateEvaluator,
  type CandidateContextInput,
} from '../candidate';
import { adjustedRsqFromRsq, mape, nrmse, rsq } from '../metrics';
import {
  MODEL_SCHEMA_VERSION,
  type BaselineExtension,
  type BaselineGroup,
  type KpiType,
  type DrawInterval,
  type MediaMixModel,
  type ModelChannel,
  type ModelProvenance,
  type ModelUncertainty,
} from '../model/model';
import {
  decompose,
  immediateSeries,
  responseCurve,
  saturationValue,
  type ResponsePoint,
} from '../model/predict';
import { bootstrapIntervals, type BootstrapIntervals, type Interval } from './bootstrap';
import { drawModelUncertainty, type ModelDrawOptions } from './uncertainty';

export interface FitOutputOptions {
  kpiName?: string;
  kpiType?: KpiType;
  dates?: string[];
  periodDays?: number;
  /** Group of each baseline column by name (default 'other'), for the decomposition. */
  baselineGroups?: Record<string, BaselineGroup>;
  /** How each baseline column continues in forecasts, by name (default: training mean). */
  baselineExtensions?: Record<string, BaselineExtension>;
  /** Multipliers of current mean spend at which to sample response curves. */
  responseMultipliers?: number[];
  /** Block bootstrap: number of refits (0 = none, default), block length, seed. */
  bootstrap?: { samples: number; blockLength?: number; seed?: number; level?: number };
  /**
   * ROAS intervals over the hyperparameters' posterior (the search's sampler), one per paid
   * channel in channel order, kept in the model's uncertainty.
   */
  posteriorRoas?: { draws: number; level: number; channels: DrawInterval[] };
  /**
   * The model's draws and the intervals over them (outputs/uncertainty.ts); default none here,
   * fitMediaMix makes 200 over the posterior's draws.
   */
  draws?: ModelDrawOptions;
  provenance?: ModelProvenance;
}

export interface FitMetrics {
  rsq: number;
  adjustedRsq: number;
  nrmse: number;
  mape: number;
  decompRssd: number;
}

export interface ChannelOutput {
  name: string;
  kind: 'paid' | 'organic';
  /** Spend over the training rows (0 for organic). */
  spend: number;
  spendShare: number;
  /** Modelled incremental KPI over the training rows. */
  contribution: number;
  /** Share of the paid channels' total contribution (0 for organic). */
  effectShare: number;
  /** Contribution / spend (revenue KPI); null for organic or zero spend. */
  roas: number | null;
  /** Spend / contribution (conversions KPI); null when undefined. */
  cpa: number | null;
  /**
   * d response / d spend at current mean spend: the response curve's slope per unit of spend
   * (also when the channel is modelled on exposures), synergy terms included.
   */
  marginalRoas: number | null;
  /** Share of the contribution due to adstock carryover (Robyn's carryover decomposition). */
  carryoverShare: number;
  responseCurve: ResponsePoint[];
}

export interface FitOutputs {
  model: MediaMixModel;
  train: FitMetrics;
  holdout: (Omit<FitMetrics, 'decompRssd' | 'adjustedRsq'> & { periods: number }) | null;
  fitted: Float64Array;
  /** Per-period decomposition over all rows. */
  decomposition: {
    intercept: Float64Array;
    baseline: Record<string, Float64Array>;
    /** Sum of the baseline terms of each group. */
    groups: Partial<Record<BaselineGroup, Float64Array>>;
    media: Record<string, Float64Array>;
    /** Synergy terms by `a:b`; not part of either channel's contribution. */
    interactions: Record<string, Float64Array>;
  };
  channels: ChannelOutput[];
  intervals: BootstrapIntervals | null;
}

export const DEFAULT_RESPONSE_MULTIPLIERS = [
  0, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3,
];

/**
 * Refit the candidate `parameters` (layout of createParameterLayout) on `input`, whose window
 * is the training rows; rows after the window are the holdout.
 */
export function buildFittedModel(
  input: CandidateContextInput,
  parameters: ArrayLike<number>,
  options: FitOutputOptions = {},
): FitOutputs {
  const context = createCandidateContext(input);
  if (context.start !== 0) {
    throw new RangeError('the training window must start at the first row');
  }
  const evaluator = createCandidateEvaluator(context);
  const result = evaluator.evaluate(parameters);
  if (!result.ok) throw new RangeError('the chosen candidate could not be fitted');
  const { rows, end, layout } = context;
  const baselineCount = context.baseline.length;
  const channelCount = context.channels.length;
  const kpiType = options.kpiType ?? 'revenue';

  const channels: ModelChannel[] = context.channelNames.map((name, c) => {
    const first = layout.channelOffset[c];
    const geometric = context.adstock === 'geometric';
    const saturationAt = geometric ? first + 1 : first + 2;
    const history = Array.from(context.channels[c]);
    const adstocked = evaluator.adstocked.subarray(c * rows, (c + 1) * rows);
    const adstock = geometric
      ? { theta: parameters[first] }
      : {
          shape: parameters[first],
          scale: parameters[first + 1],
          windowLength: rows,
          ...(context.weibullMaxLag === undefined ? {} : { maxLag: context.weibullMaxLag }),
        };
    const immediate = immediateSeries(context, { adstock }, history);
    // Spend may be given apart from the modelled values (exposures): curves and ROAS are per
    // unit of spend.
    const spendSeries = input.channels[c].spend ?? history;
    let spendSum = 0;
    let historySum = 0;
    let carry = 0;
    for (let t = 0; t < end; t++) {
      spendSum += spendSeries[t];
      historySum += history[t];
      carry += adstocked[t] - immediate[t];
    }
    const costPerUnit = spendSum > 0 && historySum > 0 ? spendSum / historySum : 1;
    return {
      name,
      kind: input.channels[c].kind ?? 'paid',
      coefficient: result.coefficients[baselineCount + c],
      adstock,
      // The evaluator's inflexions hold the Hill inflexion or the logistic scale.
      saturation:
        context.saturation === 'hill'
          ? {
              type: 'hill',
              alpha: parameters[saturationAt],
              gamma: parameters[saturationAt + 1],
              inflexion: result.inflexions[c],
            }
          : { type: 'logistic', lam: parameters[saturationAt], scale: result.inflexions[c] },
      history,
      meanSpend: spendSum / end,
      costPerUnit,
      carryoverMean: carry / end,
    };
  });

  const baselineGroups = options.baselineGroups ?? {};
  const model: MediaMixModel = {
    schemaVersion: MODEL_SCHEMA_VERSION,
    kpi: { name: options.kpiName ?? 'kpi', type: kpiType },
    adstock: context.adstock,
    periods: { count: rows, trainEnd: end },
    intercept: result.intercept,
    lambda: result.lambda,
    baseline: context.baselineNames.map((name, f) => ({
      name,
      group: baselineGroups[name] ?? 'other',
      coefficient: result.coefficients[f],
      values: Array.from(context.baseline[f]),
      ...(options.baselineExtensions?.[name]
        ? { extension: options.baselineExtensions[name] }
        : {}),
    })),
    channels,
    interactions: context.interactions.map(([a, b], k) => ({
      a: context.channelNames[a],
      b: context.channelNames[b],
      coefficient: result.coefficients[baselineCount + channelCount + k],
    })),
    actual: Array.from(context.kpi),
    metrics: { rsq: 0, adjustedRsq: 0, nrmse: 0, mape: 0, decompRssd: 0 },
  };
  if (options.periodDays !== undefined) model.periods.periodDays = options.periodDays;
  if (options.dates) model.periods.dates = options.dates.slice();
  if (options.provenance) model.provenance = options.provenance;

  const parts = decompose(model);
  const fitted = parts.fitted;
  const actual = context.kpi;
  const trainActual = actual.subarray(0, end);
  const trainFitted = fitted.subarray(0, end);
  const train: FitMetrics = {
    rsq: rsq(trainActual, trainFitted),
    adjustedRsq: adjustedRsqFromRsq(
      rsq(trainActual, trainFitted),
      end,
      context.coefficientNames.length,
      result.interceptDropped || !context.intercept ? 0 : 1,
    ),
    nrmse: nrmse(trainActual, trainFitted),
    mape: mape(trainActual, trainFitted),
    decompRssd: result.decompRssd,
  };
  let holdout: FitOutputs['holdout'] = null;
  if (end < rows) {
    const heldActual = actual.subarray(end);
    const heldFitted = fitted.subarray(end);
    holdout = {
      periods: rows - end,
      rsq: rsq(heldActual, heldFitted),
      nrmse: nrmse(heldActual, heldFitted),
      mape: mape(heldActual, heldFitted),
    };
  }
  // JSON has no NaN or Infinity (e.g. MAPE of an all-zero KPI, DECOMP.RSSD with no media
  // effect): the stored model keeps 0 there; the returned metrics keep the true values.
  model.metrics = {
    rsq: finiteOr(train.rsq, 0),
    adjustedRsq: finiteOr(train.adjustedRsq, 0),
    nrmse: finiteOr(train.nrmse, 0),
    mape: finiteOr(train.mape, 0),
    decompRssd: finiteOr(train.decompRssd, 0),
    ...(holdout
      ? {
          holdout: {
            periods: holdout.periods,
            rsq: finiteOr(holdout.rsq, 0),
            nrmse: finiteOr(holdout.nrmse, 0),
            mape: finiteOr(holdout.mape, 0),
          },
        }
      : {}),
  };

  const groups: Partial<Record<BaselineGroup, Float64Array>> = {};
  for (const term of model.baseline) {
    const series = parts.baseline[term.name];
    const groupSeries = (groups[term.group] ??= new Float64Array(rows));
    for (let t = 0; t < rows; t++) groupSeries[t] += series[t];
  }

  // Per channel, over the training rows.
  const paidTotals = { spend: 0, contribution: 0 };
  const totals = channels.map((channel, c) => {
    const contributionSeries = parts.media[channel.name];
    const spendSeries = input.channels[c].spend ?? channel.history;
    let spend = 0;
    let contribution = 0;
    let carryoverEffect = 0;
    const adstocked = evaluator.adstocked.subarray(c * rows, (c + 1) * rows);
    const immediate = immediateSeries(model, channel, channel.history);
    for (let t = 0; t < end; t++) {
      spend += spendSeries[t];
      contribution += contributionSeries[t];
      // Robyn (transformation.R, saturation_hill with x_marginal = carryover): the carryover
      // part is the saturation curve at the carryover level, immediate = total - carryover.
      const carry = adstocked[t] - immediate[t];
      if (carry > 0) {
        carryoverEffect += channel.coefficient * saturationValue(channel.saturation, carry);
      }
    }
    if (channel.kind === 'paid') {
      paidTotals.spend += spend;
      paidTotals.contribution += contribution;
    }
    return { spend, contribution, carryoverEffect };
  });
  const multipliers = options.responseMultipliers ?? DEFAULT_RESPONSE_MULTIPLIERS;
  const channelOutputs: ChannelOutput[] = channels.map((channel, c) => {
    const { spend, contribution, carryoverEffect } = totals[c];
    const paid = channel.kind === 'paid';
    const curve = responseCurve(
      model,
      channel.name,
      multipliers.map((k) => k * channel.meanSpend),
    );
    const marginal =
      paid && channel.meanSpend > 0
        ? responseCurve(model, channel.name, [channel.meanSpend])[0].marginal
        : null;
    return {
      name: channel.name,
      kind: channel.kind,
      spend: paid ? spend : 0,
      spendShare: paid && paidTotals.spend > 0 ? spend / paidTotals.spend : 0,
      contribution,
      effectShare: paid && paidTotals.contribution > 0 ? contribution / paidTotals.contribution : 0,
      roas: paid && spend > 0 ? contribution / spend : null,
      cpa: paid && contribution > 0 ? spend / contribution : null,
      marginalRoas: marginal,
      carryoverShare: contribution > 0 ? Math.min(1, carryoverEffect / contribution) : 0,
      responseCurve: curve,
    };
  });

  const intervals =
    options.bootstrap && options.bootstrap.samples > 0
      ? bootstrapIntervals(context, evaluator.media, result, fitted, {
          ...options.bootstrap,
          kpiType,
        })
      : null;

  const uncertainty = modelUncertainty(model, options.posteriorRoas, intervals);
  if (uncertainty) model.uncertainty = uncertainty;
  const drawn = options.draws
    ? drawModelUncertainty(input, model, parameters, options.draws)
    : null;
  if (drawn) {
    model.uncertainty = { ...model.uncertainty, ...drawn, level: drawn.level };
  }

  return {
    model,
    train,
    holdout,
    fitted,
    decomposition: {
      intercept: parts.intercept,
      baseline: parts.baseline,
      groups,
      media: parts.media,
      interactions: parts.interactions,
    },
    channels: channelOutputs,
    intervals,
  };
}

/** The intervals a model keeps: the posterior's ROAS (and CPA) and the bootstrap's. */
function modelUncertainty(
  model: MediaMixModel,
  posterior: FitOutputOptions['posteriorRoas'],
  bootstrap: BootstrapIntervals | null,
): ModelUncertainty | null {
  if (!posterior && !bootstrap) return null;
  const level = bootstrap?.level ?? posterior?.level ?? 0.9;
  const out: ModelUncertainty = { level };
  if (posterior) {
    const paid = model.channels.filter((c) => c.kind === 'paid');
    out.posterior = {
      draws: posterior.draws,
      channels: paid.map((channel, p) => {
        const roas = posterior.channels[p];
        // CPA is spend / contribution: the inverse of ROAS, its quantiles in reverse.
        const cpa =
          roas.lower > 0 && Number.isFinite(roas.upper)
            ? { lower: 1 / roas.upper, median: 1 / roas.median, upper: 1 / roas.lower }
            : null;
        return { name: channel.name, roas: { ...roas }, cpa };
      }),
    };
  }
  if (bootstrap) {
    // A draw without effect gives an infinite CPA: JSON cannot hold it, and such an interval
    // says nothing anyway.
    const plain = (i: Interval | null): DrawInterval | null =>
      i && [i.lower, i.median, i.upper].every(Number.isFinite)
        ? { lower: i.lower, median: i.median, upper: i.upper }
        : null;
    out.bootstrap = {
      samples: bootstrap.samples,
      blockLength: bootstrap.blockLength,
      seed: bootstrap.seed,
      channels: bootstrap.channels.map((c) => ({
        name: c.name,
        contribution: plain(c.contribution),
        roas: plain(c.roas),
        cpa: plain(c.cpa),
      })),
    };
  }
  return out;
}

function finiteOr(v: number, fallback: number): number {
  return Number.isFinite(v) ? v : fallback;
}
