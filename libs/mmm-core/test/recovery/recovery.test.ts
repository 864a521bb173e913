/**
 * Parameter recovery on the core's synthetic generator (known truth): 156 weeks, 8 paid
 * channels (the generator's default set: true ROAS 0.5 to 3.2, geometric adstock, Hill),
 * trend, yearly seasonality, two controls.
 *
 * Noise level: sd = 1% of the baseline KPI level (10,000 a week on a KPI of about 1.5
 * million, i.e. about 0.7% of the mean KPI; `noise: 0.01` in generateSyntheticDataset).
 * At the generator's default (3%) the ridge refit at the TRUE hyperparameters already
 * misses ROAS by a median of 7-10%, which leaves too little room for the hyperparameter
 * search (see docs/BENCHMARKS.md).
 *
 * Model choice: 'best-fit' (lowest NRMSE on the Pareto front). The default knee also weighs
 * DECOMP.RSSD, which by design pulls every channel's effect share towards its spend share,
 * i.e. all ROAS towards the average: a business prior, not an estimator of the truth.
 *
 * Search size: 10,000 x 3 candidates per seed (a few seconds on 2 cores).
 */
import { generateSyntheticDataset } from '../../src/synthetic';
import { fitMediaMix, type FitMediaMixResult } from '../../src/outputs';
import type { LiftTest } from '../../src/search';

const SEEDS = [1, 2, 3];
const NOISE = 0.01;

function tableOf(seed: number, noise: number) {
  const ds = generateSyntheticDataset({ seed, periods: 156, channels: 8, noise });
  return {
    ds,
    table: {
      dates: ds.dates,
      kpi: ds.columns[ds.kpiColumn],
      controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
      paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
    },
  };
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const h = s.length / 2;
  return s.length % 2 ? s[Math.floor(h)] : (s[h - 1] + s[h]) / 2;
}

function roasErrors(result: FitMediaMixResult, truth: { name: string; roas: number }[]) {
  return truth.map((t) => {
    const fitted = result.channels.find((c) => c.name === t.name)!.roas!;
    return Math.abs(fitted / t.roas - 1);
  });
}

function topThree(roas: { name: string; roas: number }[]): string[] {
  return roas
    .slice()
    .sort((a, b) => b.roas - a.roas)
    .slice(0, 3)
    .map((c) => c.name);
}

jest.setTimeout(120_000);

describe('parameter recovery on synthetic data (156 weeks, 8 channels, noise sd 1% of baseline)', () => {
  const results = new Map<
    number,
    { result: FitMediaMixResult; truth: { name: string; roas: number }[] }
  >();

  beforeAll(async () => {
    for (const seed of SEEDS) {
      const { ds, table } = tableOf(seed, NOISE);
      const result = await fitMediaMix(table, {
        iterations: 10_000,
        trials: 3,
        seed: 1,
        selection: 'best-fit',
      });
      results.set(seed, {
        result,
        truth: ds.truth.channels.map((c) => ({ name: c.name, roas: c.roas })),
      });
    }
  });

  it('recovers ROAS with a median absolute error under 15% over the channels of 3 seeds', () => {
    const pooled: number[] = [];
    for (const seed of SEEDS) {
      const { result, truth } = results.get(seed)!;
      const errors = roasErrors(result, truth);
      pooled.push(...errors);
      console.log(
        `seed ${seed}: median |ROAS error| ${(100 * median(errors)).toFixed(1)}%; per channel ` +
          truth.map((t, i) => `${t.name} ${(100 * errors[i]).toFixed(0)}%`).join(', '),
      );
      // Per seed the median is under 15% on most seeds; a seed can miss it when a small
      // always-on channel takes part of a large one's effect (see the note below).
      expect(median(errors)).toBeLessThan(0.25);
    }
    expect(median(pooled)).toBeLessThan(0.15);
  });

  it.each(SEEDS)('ranks the channel with the highest ROAS first (seed %i)', (seed) => {
    const { result, truth } = results.get(seed)!;
    const fitted = result.channels.map((c) => ({ name: c.name, roas: c.roas ?? 0 }));
    // The full top-three order is reported, not asserted: see the note at the end.
    console.log(`seed ${seed}: top three fitted ${topThree(fitted)}, true ${topThree(truth)}`);
    expect(topThree(fitted)[0]).toBe(topThree(truth)[0]);
  });

  /*
   * Why the top-three ORDER is not asserted: display (true ROAS 0.9) is a small always-on
   * channel (about 6% of spend) next to search, the largest effect (ROAS 3.2). A few percent
   * of search's effect attributed to display doubles display's ROAS, and at this noise the
   * fit cannot tell them apart: on some seeds display is estimated above tv (1.6) or social
   * (2.0), although its median error share is small. The search is not the limit: the
   * chosen models fit at or below the NRMSE of the true hyperparameters. A lift test on
   * display resolves it (next block); docs/BENCHMARKS.md gives the figures.
   */
});

describe('calibration with a lift test (MAPE.LIFT)', () => {
  it('pins down an always-on channel that the fit alone overestimates', async () => {
    const { ds, table } = tableOf(1, NOISE);
    const display = ds.truth.channels.find((c) => c.name === 'display')!;
    const liftTests: LiftTest[] = [
      [40, 47],
      [100, 107],
    ].map(([start, end]) => ({
      channel: 'display',
      start,
      end,
      lift: display.contribution.slice(start, end + 1).reduce((a, b) => a + b, 0),
    }));
    const options = { iterations: 10_000, trials: 3, seed: 1, selection: 'best-fit' as const };
    const calibrated = await fitMediaMix(table, { ...options, liftTests });
    expect(calibrated.search.objectiveNames).toEqual(['nrmse', 'decompRssd', 'mapeLift']);
    const roas = calibrated.channels.find((c) => c.name === 'display')!.roas!;
    console.log(`display ROAS with lift tests ${roas.toFixed(2)}, true ${display.roas}`);
    expect(Math.abs(roas / display.roas - 1)).toBeLessThan(0.25);
  });
});

describe('holdout accuracy on synthetic data (generator default noise: sd 3% of baseline)', () => {
  /*
   * Threshold: with Gaussian noise of sd s, even the true model has an expected absolute
   * percentage error of sqrt(2/pi) s / mean(y) ~ 0.8 x 30,000 / 1.5M ~ 1.6%. 4% allows
   * for the extrapolated trend and estimation error over a 12-week holdout, i.e. about
   * 2.5x that floor; a model that misses a channel or the season is far above it.
   */
  it.each([1, 2, 3])('forecasts the last 12 weeks with MAPE under 4%% (seed %i)', async (seed) => {
    const { table } = tableOf(seed, 0.03);
    const result = await fitMediaMix(table, { iterations: 2000, trials: 2, seed: 1, holdout: 12 });
    console.log(`seed ${seed}: holdout MAPE ${(100 * result.holdout!.mape).toFixed(2)}%`);
    expect(result.holdout!.periods).toBe(12);
    expect(result.holdout!.mape).toBeLessThan(0.04);
    expect(result.train.rsq).toBeGreaterThan(0.8);
  });
});
