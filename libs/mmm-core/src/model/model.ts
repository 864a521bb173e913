/**
 * A fitted media mix model as plain JSON: everything needed to predict, decompose and draw
 * response curves without the training data pipeline or a refit. Coefficients are in KPI
 * units: a media term is coefficient x saturation(adstock(history)) with the saturation's
 * inflexion (Hill) or scale (logistic) fixed at fit time, a synergy term is coefficient x the
 * product of two channels' saturated series, a baseline term is coefficient x its column.
 */
import type { AdstockType } from '../transforms';

/**
 * 4: the model's draws (whole-model parameter sets over the hyperparameters' posterior and the
 * coefficients' sampling spread) and the intervals over them. 3: the fit's uncertainty
 * (posterior and bootstrap intervals) and a typed provenance (engine version, seed, search,
 * dataset, configuration). 2: spend apart from the modelled values (costPerUnit), Weibull
 * maxLag, logistic, synergy. parseModel reads 2, 3 and 4 and returns 4.
 */
export const MODEL_SCHEMA_VERSION = 4;

export type KpiType = 'revenue' | 'conversions';

export type BaselineGroup = 'trend' | 'seasonality' | 'holiday' | 'control' | 'organic' | 'other';

/**
 * How a baseline column continues past the last period, for forecasts:
 * - linear: on the line through its last two values (the trend, t = 0, 1, 2, ...);
 * - fourier: fn(2 pi harmonic t / period) at the period index t (yearly seasonality);
 * - constant: a fixed value (controls at their training mean, events at 0).
 */
export type BaselineExtension =
  | { kind: 'linear' }
  | { kind: 'fourier'; fn: 'sin' | 'cos'; harmonic: number; period: number }
  | { kind: 'constant'; value: number };

export interface BaselineTerm {
  name: string;
  group: BaselineGroup;
  coefficient: number;
  /** The design column over the model's periods. */
  values: number[];
  /** How the column continues in forecasts (default: constant at its training mean). */
  extension?: BaselineExtension;
}

export interface ChannelAdstock {
  /** Geometric decay rate. */
  theta?: number;
  /** Weibull shape and scale (scale as a fraction of windowLength, Robyn's convention). */
  shape?: number;
  scale?: number;
  /** Robyn's windlen for the Weibull weights: the training length. */
  windowLength?: number;
  /** Weibull weights after this lag are cut (the search's weibullMaxLag; default: none). */
  maxLag?: number;
}

/**
 * The saturation of the adstocked series x:
 * - hill: 1 / (1 + (inflexion / x)^alpha), inflexion = gamma x max adstocked (training rows);
 * - logistic (PyMC-Marketing): (1 - e^(-lam x / scale)) / (1 + e^(-lam x / scale)), scale = max
 *   adstocked over the training rows.
 */
export type ChannelSaturation =
  | { type: 'hill'; alpha: number; gamma: number; inflexion: number }
  | { type: 'logistic'; lam: number; scale: number };

/** Synergy of two channels: coefficient x saturated(a) x saturated(b) per period. */
export interface InteractionTerm {
  a: string;
  b: string;
  coefficient: number;
}

export interface ModelChannel {
  name: string;
  /** Paid media have spend (and ROAS); organic media only activity. */
  kind: 'paid' | 'organic';
  coefficient: number;
  adstock: ChannelAdstock;
  saturation: ChannelSaturation;
  /**
   * The modelled series per period: spend, or exposures (impressions, GRPs) when the channel
   * was modelled on them; activity for organic media. Scenarios and forecasts take this unit.
   */
  history: number[];
  /** Mean spend (organic: activity) per period over the training rows. */
  meanSpend: number;
  /**
   * Spend per unit of history: total spend / total history over the training rows (1 when
   * the history is the spend, and for organic media). Response curves, marginal ROAS and the
   * allocator take spend and turn it into history units as spend / costPerUnit.
   */
  costPerUnit: number;
  /**
   * Mean adstock carryover per period over the training rows, in history units (Robyn's
   * allocator input).
   */
  carryoverMean: number;
}

export interface ModelMetrics {
  rsq: number;
  adjustedRsq: number;
  nrmse: number;
  mape: number;
  decompRssd: number;
  holdout?: { periods: number; rsq: number; nrmse: number; mape: number };
}

export interface MediaMixModel {
  schemaVersion: typeof MODEL_SCHEMA_VERSION;
  kpi: { name: string; type: KpiType };
  adstock: AdstockType;
  periods: {
    count: number;
    /** Rows [0, trainEnd) were fitted; [trainEnd, count) are the holdout. */
    trainEnd: number;
    periodDays?: number;
    dates?: string[];
  };
  intercept: number;
  lambda: number;
  baseline: BaselineTerm[];
  channels: ModelChannel[];
  /** Synergy terms between channels (empty when none were modelled). */
  interactions: InteractionTerm[];
  /** The KPI over all periods (kept so that decompositions can be checked and plotted). */
  actual: number[];
  metrics: ModelMetrics;
  /** What the fit could say of its own uncertainty (absent when it computed none). */
  uncertainty?: ModelUncertainty;
  /** How it was found: engine, seed, search, and where the data and settings came from. */
  provenance?: ModelProvenance;
}

/** A central interval of a figure over draws, with the draws' median. */
export interface DrawInterval {
  lower: number;
  median: number;
  upper: number;
}

/**
 * Intervals per channel, as computed at fit time, at probability `level` (0.9: the 5th and
 * 95th percentiles):
 * - posterior: over the hyperparameters' posterior draws (the 'posterior' model choice; the
 *   ridge coefficients are refitted at each draw): ROAS, and CPA = spend / contribution;
 * - bootstrap: over moving-block bootstrap refits with the chosen hyperparameters
 *   (outputs/bootstrap.ts): contribution, ROAS and CPA.
 * Each source leaves out what the other covers; neither is the whole uncertainty. An interval
 * is null where it is not finite (a CPA where a draw has no effect).
 */
export interface ModelUncertainty {
  level: number;
  /**
   * Intervals over the model's draws (`draws`): the whole uncertainty the fit can measure
   * (hyperparameters, coefficients given them, noise). `method` says how the draws were made
   * (outputs/uncertainty.ts): 'posterior-bootstrap' (hyperparameter posterior draws, each with
   * a block-bootstrap coefficient draw) or 'bootstrap' (the chosen hyperparameters only, when
   * the model choice sampled no posterior: conditional, narrower).
   */
  combined?: {
    method: 'posterior-bootstrap' | 'bootstrap';
    draws: number;
    channels: ChannelDrawIntervals[];
  };
  /** The draws themselves, so that scenarios get intervals without a refit (see modelDraws). */
  draws?: ModelDraws;
  posterior?: {
    draws: number;
    channels: Array<{ name: string; roas: DrawInterval; cpa: DrawInterval | null }>;
  };
  bootstrap?: {
    samples: number;
    blockLength: number;
    seed: number;
    channels: Array<{
      name: string;
      contribution: DrawInterval | null;
      roas: DrawInterval | null;
      cpa: DrawInterval | null;
    }>;
  };
}

/** Per channel, intervals over the model's draws; null where a figure is not finite. */
export interface ChannelDrawIntervals {
  name: string;
  contribution: DrawInterval | null;
  /** Paid channels only (null for organic media). */
  roas: DrawInterval | null;
  cpa: DrawInterval | null;
  marginalRoas: DrawInterval | null;
  effectShare: DrawInterval | null;
}

/**
 * Whole-model parameter sets, by column: entry i of every array is draw i. A draw replaces the
 * model's intercept, coefficients, adstock and saturation parameters; the data (history,
 * baseline columns) stay the model's. Channels and baseline terms in the model's order.
 */
export interface ModelDraws {
  count: number;
  intercept: number[];
  /** Per baseline term, its coefficient in each draw. */
  baseline: number[][];
  channels: Array<{
    coefficient: number[];
    adstock: { theta?: number[]; shape?: number[]; scale?: number[] };
    saturation: {
      alpha?: number[];
      gamma?: number[];
      inflexion?: number[];
      lam?: number[];
      scale?: number[];
    };
  }>;
  /** Per synergy term, its coefficient in each draw. */
  interactions: number[][];
}

/** The search behind a model. */
export interface SearchProvenance {
  algorithm: string;
  iterations: number;
  trials: number;
  populationSize: number;
  /** Candidates evaluated (iterations x trials). */
  candidates: number;
  paretoFrontSize: number;
  /** 'posterior', 'best-fit', 'knee', or the knee within an NRMSE tolerance. */
  selection: string | { nrmseTolerance: number };
  /** The chosen model's objectives by name (nrmse, decompRssd, mapeLift). */
  objectives: Record<string, number>;
  /** The chosen hyperparameters by layout name (e.g. tv_thetas, lambda). */
  hyperparameters: Record<string, number>;
  posterior?: {
    chains: number;
    steps: number;
    priorStrength: number;
    draws: number;
    acceptance: number;
  };
}

/**
 * Where a model came from: enough to fit it again (engine version, seed, search settings and,
 * when the caller gives them, the dataset and the configuration as given).
 */
export interface ModelProvenance {
  engine: { name: string; version: string };
  seed: number;
  search: SearchProvenance;
  /** The dataset the model was fitted on (set by the modeling service). */
  dataset?: { id: string; contentHash: string };
  /** The training configuration as the caller gave it (JSON values only). */
  config?: Record<string, unknown>;
}
