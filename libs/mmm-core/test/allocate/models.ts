/**
 * Media mix models built by hand for the allocator's tests: known curves, no fit.
 */
import type { MediaMixModel, ModelChannel } from '../../src/model';

export interface ChannelSpec {
  name: string;
  coefficient: number;
  /** Hill alpha and inflexion (adstocked spend units). */
  alpha: number;
  inflexion: number;
  /** Mean spend per period; the history is flat at it unless `history` is given. */
  meanSpend: number;
  theta?: number;
  carryoverMean?: number;
  costPerUnit?: number;
  history?: number[];
  kind?: 'paid' | 'organic';
  /** Logistic saturation (lam, scale) instead of Hill. */
  logistic?: { lam: number; scale: number };
}

export function handModel(
  specs: ChannelSpec[],
  options: {
    periods?: number;
    kpiType?: 'revenue' | 'conversions';
    /** Weibull CDF adstock with this shape and scale for every channel (default geometric). */
    weibull?: { shape: number; scale: number };
  } = {},
): MediaMixModel {
  const n = options.periods ?? 52;
  const channels: ModelChannel[] = specs.map((s) => {
    const cpu = s.costPerUnit ?? 1;
    const history = s.history ?? new Array<number>(n).fill(s.meanSpend / cpu);
    return {
      name: s.name,
      kind: s.kind ?? 'paid',
      coefficient: s.coefficient,
      adstock: options.weibull ? { ...options.weibull, windowLength: n } : { theta: s.theta ?? 0 },
      saturation: s.logistic
        ? { type: 'logistic', ...s.logistic }
        : { type: 'hill', alpha: s.alpha, gamma: 0.5, inflexion: s.inflexion },
      history,
      meanSpend: s.meanSpend,
      costPerUnit: cpu,
      carryoverMean: s.carryoverMean ?? 0,
    };
  });
  return {
    schemaVersion: 4,
    kpi: { name: 'revenue', type: options.kpiType ?? 'revenue' },
    adstock: options.weibull ? 'weibull_cdf' : 'geometric',
    periods: { count: n, trainEnd: n },
    intercept: 1000,
    lambda: 0,
    baseline: [],
    channels,
    interactions: [],
    actual: new Array<number>(n).fill(0),
    metrics: { rsq: 0, adjustedRsq: 0, nrmse: 0, mape: 0, decompRssd: 0 },
  };
}
