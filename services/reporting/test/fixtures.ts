import { predict, type MediaMixModel } from '@mmm/core';
import type { StoredAllocation, StoredModelArtifact, StoredScenario } from '@mmm/platform';

/** A saved model with known parts (no fit): 16 weeks, the last 4 held out, two paid channels. */
export function knownModel(): MediaMixModel {
  const n = 16;
  const channel = (name: string, coefficient: number, theta: number, spend: number) => ({
    name,
    kind: 'paid' as const,
    coefficient,
    adstock: { theta },
    saturation: { type: 'hill' as const, alpha: 1, gamma: 0.5, inflexion: spend * 1.5 },
    history: Array.from({ length: n }, (_, t) => spend * (1 + 0.3 * Math.sin(t))),
    meanSpend: spend,
    costPerUnit: 1,
    carryoverMean: 0,
  });
  const model: MediaMixModel = {
    schemaVersion: 4,
    kpi: { name: 'revenue', type: 'revenue' },
    adstock: 'geometric',
    periods: {
      count: n,
      trainEnd: 12,
      periodDays: 7,
      dates: Array.from({ length: n }, (_, t) =>
        new Date(Date.UTC(2024, 0, 1 + 7 * t)).toISOString().slice(0, 10),
      ),
    },
    intercept: 5000,
    lambda: 0.1,
    baseline: [],
    channels: [channel('tv', 3000, 0.4, 1000), channel('search', 1200, 0, 500)],
    interactions: [],
    actual: [],
    metrics: {
      rsq: 0.9,
      adjustedRsq: 0.89,
      nrmse: 0.07,
      mape: 0.03,
      decompRssd: 0.1,
      holdout: { periods: 4, rsq: 0.8, nrmse: 0.1, mape: 0.05 },
    },
  };
  model.actual = Array.from(predict(model), (v, t) => v * (1 + (t % 2 ? 0.01 : -0.01)));
  return model;
}

export function artifact(model: MediaMixModel = knownModel()): StoredModelArtifact {
  return { schemaVersion: 1, model, paretoFront: [] };
}

const est = (estimate: number, lower: number | null = null, upper: number | null = null) => ({
  estimate,
  lower,
  upper,
});

/** A scenario as the optimization service stores it (the platform's contract). */
export function storedScenario(id: string, workspaceId: string, modelId: string): StoredScenario {
  const allocation: StoredAllocation = {
    objective: 'response',
    target: null,
    periods: 8,
    kpi: { name: 'revenue', type: 'revenue' },
    method: 'kkt',
    status: 'optimal',
    budget: 12000,
    spend: { current: 12000, recommended: 12000 },
    channels: [
      {
        channel: 'tv',
        current: 1000,
        recommended: 1300,
        change: 0.3,
        lower: 500,
        upper: 2000,
        response: { current: 9000, recommended: 10500 },
        roas: 1.1,
        cpa: null,
        marginalRoas: 0.8,
        bound: null,
        beyondHistory: false,
      },
      {
        channel: 'search',
        current: 500,
        recommended: 200,
        change: -0.6,
        lower: 250,
        upper: 1000,
        response: { current: 4000, recommended: 2300 },
        roas: 1.4,
        cpa: null,
        marginalRoas: 0.8,
        bound: 'lower',
        beyondHistory: false,
      },
    ],
    response: { current: est(13000), recommended: est(12800), lift: est(-200) },
    expectedKpi: {
      current: est(60000, 58000, 62000),
      recommended: est(61000, 59000, 63000),
      lift: est(1000, 400, 1600),
    },
    roas: { current: 1.08, recommended: 1.07 },
    marginalRoas: 0.8,
    binding: [
      { rule: 'budget', kind: 'budget', channels: ['tv', 'search'], spend: 1500, shadowPrice: 0.8 },
    ],
    notes: [],
  };
  return {
    schemaVersion: 1,
    id,
    workspaceId,
    modelId,
    datasetId: 'ds_1',
    name: 'Next quarter',
    createdAt: '2024-05-01T00:00:00.000Z',
    origin: 'api',
    input: { periods: 8 },
    allocation,
    frontier: null,
  };
}
