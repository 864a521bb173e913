import { predict, type MediaMixModel } from '@mmm/core';

/**
 * A saved model with known parts and no fit: 12 weekly periods (the last 2 held out), an
 * intercept of 1000, a trend and a control, two paid channels (geometric adstock, Hill) and an
 * organic one; the actual KPI is the fitted one plus a known wiggle.
 */
export function knownModel(kpiType: 'revenue' | 'conversions' = 'revenue'): MediaMixModel {
  const n = 12;
  const dates = Array.from({ length: n }, (_, t) => {
    const d = new Date(Date.UTC(2024, 0, 1 + 7 * t));
    return d.toISOString().slice(0, 10);
  });
  const channel = (name: string, coefficient: number, theta: number, spend: number[]) => ({
    name,
    kind: 'paid' as const,
    coefficient,
    adstock: { theta },
    saturation: { type: 'hill' as const, alpha: 1, gamma: 0.5, inflexion: 150 },
    history: spend,
    meanSpend: spend.slice(0, 10).reduce((a, v) => a + v, 0) / 10,
    costPerUnit: 1,
    carryoverMean: 0,
  });
  const model: MediaMixModel = {
    schemaVersion: 4,
    kpi: { name: kpiType === 'revenue' ? 'revenue' : 'orders', type: kpiType },
    adstock: 'geometric',
    periods: { count: n, trainEnd: 10, periodDays: 7, dates },
    intercept: 1000,
    lambda: 0.1,
    baseline: [
      {
        name: 'trend',
        group: 'trend',
        coefficient: 5,
        values: Array.from({ length: n }, (_, t) => t),
        extension: { kind: 'linear' },
      },
      { name: 'price', group: 'control', coefficient: -2, values: new Array(n).fill(10) },
    ],
    channels: [
      channel('tv', 400, 0.5, [100, 120, 80, 100, 140, 100, 90, 110, 100, 60, 100, 100]),
      channel('search', 150, 0, [50, 50, 60, 40, 50, 55, 45, 50, 50, 50, 50, 50]),
      {
        ...channel('social_organic', 30, 0, new Array(n).fill(10)),
        kind: 'organic' as const,
      },
    ],
    interactions: [],
    actual: [],
    metrics: {
      rsq: 0.91,
      adjustedRsq: 0.9,
      nrmse: 0.06,
      mape: 0.03,
      decompRssd: 0.12,
      holdout: { periods: 2, rsq: 0.7, nrmse: 0.12, mape: 0.05 },
    },
    uncertainty: {
      level: 0.9,
      bootstrap: {
        samples: 50,
        blockLength: 4,
        seed: 1,
        channels: [
          {
            name: 'tv',
            contribution: null,
            roas: { lower: 1.2, median: 1.5, upper: 1.9 },
            cpa: { lower: 0.5, median: 0.6, upper: 0.8 },
          },
          {
            name: 'search',
            contribution: null,
            roas: { lower: 0.2, median: 1, upper: 2.6 },
            cpa: { lower: 0.4, median: 1, upper: 5 },
          },
        ],
      },
    },
  };
  model.actual = Array.from(predict(model), (v, t) => v + (t % 2 ? 20 : -20));
  return model;
}

/** An allocation over 4 weeks in the contract's shape (as the optimization service stores it). */
export function knownAllocation() {
  const est = (estimate: number, lower: number | null = null, upper: number | null = null) => ({
    estimate,
    lower,
    upper,
  });
  return {
    objective: 'response',
    target: null,
    periods: 4,
    kpi: { name: 'revenue', type: 'revenue' },
    method: 'kkt',
    status: 'optimal',
    budget: 600,
    spend: { current: 600, recommended: 600 },
    channels: [
      {
        channel: 'tv',
        current: 100,
        recommended: 180,
        change: 0.8,
        lower: 50,
        upper: 200,
        response: { current: 800, recommended: 1100 },
        roas: 1.5,
        cpa: null,
        marginalRoas: 0.9,
        bound: null,
        beyondHistory: true,
      },
      {
        channel: 'search',
        current: 50,
        recommended: 0,
        change: -1,
        lower: 0,
        upper: null,
        response: { current: 300, recommended: 0 },
        roas: null,
        cpa: null,
        marginalRoas: 1.1,
        bound: 'lower',
        beyondHistory: false,
      },
    ],
    response: { current: est(1100), recommended: est(1100), lift: est(0) },
    expectedKpi: {
      current: est(5000, 4800, 5200),
      recommended: est(5400, 5150, 5650),
      lift: est(400, 250, 550),
    },
    roas: { current: 1.8, recommended: 1.8 },
    marginalRoas: 0.9,
    binding: [
      { rule: 'budget', kind: 'budget', channels: ['tv', 'search'], spend: 150, shadowPrice: 0.9 },
      {
        rule: 'channels.search.min',
        kind: 'channel-lower',
        channels: ['search'],
        spend: 0,
        shadowPrice: 0.2,
      },
    ],
    notes: ['Carryover: the horizon counts the spend of its own periods only.'],
  };
}
