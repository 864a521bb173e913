/**
 * A model fitted on synthetic data with known truth: its recommended allocation, judged on
 * the TRUE curves, must capture most of the lift the true optimum would bring.
 */
import { allocateBudget, evaluateAllocation, type AllocationScenario } from '../../src/allocate';
import { predict, type MediaMixModel } from '../../src/model';
import { fitMediaMix } from '../../src/outputs';
import { generateSyntheticDataset, type SyntheticDataset } from '../../src/synthetic';

/** The generator's truth as a model: the same curves, the same history. */
function trueModel(ds: SyntheticDataset): MediaMixModel {
  const n = ds.dates.length;
  return {
    schemaVersion: 4,
    kpi: { name: ds.kpiColumn, type: 'revenue' },
    adstock: 'geometric',
    periods: { count: n, trainEnd: n },
    intercept: 0,
    lambda: 0,
    baseline: [],
    channels: ds.truth.channels.map((c) => {
      const spend = ds.columns[c.spendColumn];
      return {
        name: c.spendColumn,
        kind: 'paid' as const,
        coefficient: c.coefficient,
        adstock: { theta: c.theta ?? 0 },
        saturation: {
          type: 'hill' as const,
          alpha: c.alpha,
          gamma: c.gamma,
          inflexion: c.inflexion,
        },
        history: spend.slice(),
        meanSpend: spend.reduce((a, v) => a + v, 0) / n,
        costPerUnit: 1,
        carryoverMean: 0,
      };
    }),
    interactions: [],
    actual: new Array<number>(n).fill(0),
    metrics: { rsq: 0, adjustedRsq: 0, nrmse: 0, mape: 0, decompRssd: 0 },
  };
}

describe('allocation on a fitted model, judged on the truth', () => {
  it('captures most of the true optimal lift', async () => {
    const ds = generateSyntheticDataset({ seed: 2, periods: 156 });
    const truth = trueModel(ds);
    // The truth model reproduces the generator's media contributions.
    const media = predict(truth);
    const sum = (t: number) => ds.truth.channels.reduce((a, c) => a + c.contribution[t], 0);
    for (const t of [0, 50, 155]) expect(media[t]).toBeCloseTo(sum(t), 6);

    const fitted = await fitMediaMix(
      {
        dates: ds.dates,
        kpi: ds.columns[ds.kpiColumn],
        controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
        paid: ds.spendColumns.map((name) => ({ name, values: ds.columns[name] })),
      },
      { iterations: 1000, trials: 2, seed: 1, workers: 0 },
    );
    const scenario: AllocationScenario = {
      periods: 13,
      defaultChannelRule: { minMultiple: 0.5, maxMultiple: 2 },
    };
    const recommended = allocateBudget(fitted.model, scenario);
    const best = allocateBudget(truth, scenario);
    const plan = (r: typeof best) =>
      Object.fromEntries(r.channels.map((c) => [c.channel, c.recommended]));
    const onTruth = (spend: Record<string, number>) =>
      evaluateAllocation(truth, { periods: 13 }, spend).response;
    const current = onTruth({});
    const trueLift = onTruth(plan(best)) - current;
    const fittedLift = onTruth(plan(recommended)) - current;
    const share = fittedLift / trueLift;
    console.log(
      `true optimal lift ${Math.round(trueLift)} (${((100 * trueLift) / current).toFixed(1)}% of the media response); ` +
        `the fitted model's allocation, on the true curves: ${Math.round(fittedLift)}, ${(100 * share).toFixed(1)}% of it ` +
        `(the fitted model promised ${Math.round(recommended.response.lift.estimate)})`,
    );
    expect(trueLift).toBeGreaterThan(0);
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThanOrEqual(1 + 1e-9);
  }, 60_000);
});
