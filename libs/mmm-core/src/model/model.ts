/**
 * A fitted media mix model as plain JSON: everything needed to predict, decompose and draw
 * response curves without the training data pipeline or a refit. Coefficients are in KPI
 * units: a media term is coefficient x Hill(adstock(spend)) with the inflexion fixed at fit
 * time, a baseline term is coefficient x its stored column.
 */
import type { AdstockType } from '../transforms';

export const MODEL_SCHEMA_VERSION = 1;

export type KpiType = 'revenue' | 'conversions';

export type BaselineGroup = 'trend' | 'seasonality' | 'holiday' | 'control' | 'organic' | 'other';

export interface BaselineTerm {
  name: string;
  group: BaselineGroup;
  coefficient: number;
  /** The design column over the training periods. */
  values: number[];
}

export interface ChannelAdstock {
  /** Geometric decay rate. */
  theta?: number;
  /** Weibull shape and scale (scale as a fraction of windowLength, Robyn's convention). */
  shape?: number;
  scale?: number;
  /** Robyn's windlen for the Weibull weights: the training length. */
  windowLength?: number;
}

export interface ModelChannel {
  name: string;
  /** Paid media have spend (and ROAS); organic media only activity. */
  kind: 'paid' | 'organic';
  coefficient: number;
  adstock: ChannelAdstock;
  /** Hill shape alpha and Robyn's gamma; inflexion = gamma x max adstocked (training). */
  alpha: number;
  gamma: number;
  inflexion: number;
  /** Spend (paid) or activity (organic) per training period. */
  history: number[];
  /** Mean spend per period over the training rows. */
  meanSpend: number;
  /** Mean adstock carryover per period over the training rows (Robyn's allocator input). */
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
  /** The KPI over all periods (kept so that decompositions can be checked and plotted). */
  actual: number[];
  metrics: ModelMetrics;
  /** How it was found: search settings and the chosen candidate's objectives. */
  provenance?: Record<string, unknown>;
}
