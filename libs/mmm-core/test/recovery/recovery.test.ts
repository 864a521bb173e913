/**
 * Parameter recovery on the core's synthetic generator (known truth): 156 weeks, 8 paid
 * channels (the generator's default set: true ROAS 0.5 to 3.2, geometric adstock, Hill; flighted
 * TV, radio, OOH, print and video, always-on search, social and display with campaign pushes,
 * on a shared campaign calendar), linear trend, yearly seasonality, two controls.
 *
 * Noise level: the generator's default, sd = 3% of the baseline KPI (30,000 a week on a mean KPI
 * of about 1.5 million, i.e. about 2% of the mean KPI; `noise: 0.03`).
 *
 * Model choice: the default, 'posterior' (src/search/posterior.ts): the posterior mean of the
 * hyperparameters, sampled from the search's best candidates under a weak Beta(2, 2) prior on
 * each hyperparameter within its bounds. Search 5,000 x 2 candidates per seed, then 4 chains of
 * 2,500 steps (the default for that budget).
 *
 * The bar, asserted per seed: median |ROAS error| over the 8 channels under 15% and the
 * top three channels by ROAS in the right order. It is not met on every seed (KNOWN_MISSES):
 * display (true ROAS 0.9, 6% of spend, always on) contributes about 1% of the KPI, and at this
 * noise its ROAS is not identified (Cramer-Rao sd of several hundred percent with the
 * hyperparameters free, docs/BENCHMARKS.md), so on some seeds it lands above TV (1.6) and
 * breaks the top three; radio and OOH (sd about 50%) decide the median with it.
 */
import { generateSyntheticDataset } from '../../src/synthetic';
import { fitMediaMix, type FitMediaMixResult } from '../../src/outputs';
import type { LiftTest } from '../../src/search';

const SEEDS = [1, 2, 3];
const NOISE = 0.03;
/** Seeds on which the bar is missed today (test.failing: CI flags when they pass). */
const KNOWN_MISSES = new Set<number>([2]);

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

describe('parameter recovery on synthetic data (156 weeks, 8 channels, noise sd 3% of baseline)', () => {
  const results = new Map<
    number,
    { result: FitMediaMixResult; truth: { name: string; roas: number }[] }
  >();

  beforeAll(async () => {
    for (const seed of SEEDS) {
      const { ds, table } = tableOf(seed, NOISE);
      const result = await fitMediaMix(table, { iterations: 5000, trials: 2, seed: 1 });
      const truth = ds.truth.channels.map((c) => ({ name: c.name, roas: c.roas }));
      results.set(seed, { result, truth });
      const errors = roasErrors(result, truth);
      const fitted = result.channels.map((c) => ({ name: c.name, roas: c.roas ?? 0 }));
      const interval = result.search.posterior!.roas;
      console.log(
        `seed ${seed}: median |ROAS error| ${(100 * median(errors)).toFixed(1)}%; top three ` +
          `fitted ${topThree(fitted)}, true ${topThree(truth)}\n` +
          truth
            .map(
              (t, i) =>
                `  ${t.name.padEnd(8)} true ${t.roas.toFixed(2)} fitted ${fitted[i].roas.toFixed(2)} ` +
                `(${(100 * (fitted[i].roas / t.roas - 1)).toFixed(0)}%), posterior 90% ` +
                `[${interval[i].lower.toFixed(2)}, ${interval[i].upper.toFixed(2)}]`,
            )
            .join('\n'),
      );
    }
  });

  for (const seed of SEEDS) {
    const bar = KNOWN_MISSES.has(seed) ? test.failing : test;
    bar(`seed ${seed}: median |ROAS error| under 15% and the top three in order`, () => {
      const { result, truth } = results.get(seed)!;
      const fitted = result.channels.map((c) => ({ name: c.name, roas: c.roas ?? 0 }));
      expect(median(roasErrors(result, truth))).toBeLessThan(0.15);
      expect(topThree(fitted)).toEqual(topThree(truth));
    });
  }

  it.each(SEEDS)('seed %i: median |ROAS error| under 25%% and the top channel first', (seed) => {
    // A regression guard that holds on every seed, below the bar above.
    const { result, truth } = results.get(seed)!;
    const fitted = result.channels.map((c) => ({ name: c.name, roas: c.roas ?? 0 }));
    expect(median(roasErrors(result, truth))).toBeLessThan(0.25);
    expect(topThree(fitted)[0]).toBe(topThree(truth)[0]);
  });
});

describe('calibration with a lift test (MAPE.LIFT)', () => {
  it('pins down a small always-on channel that the fit alone cannot identify', async () => {
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
    // With lift tests the default choice is 'best-fit' on NRMSE and MAPE.LIFT.
    const options = { iterations: 5000, trials: 2, seed: 1 };
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
    const { table } = tableOf(seed, NOISE);
    const result = await fitMediaMix(table, { iterations: 2000, trials: 2, seed: 1, holdout: 12 });
    console.log(`seed ${seed}: holdout MAPE ${(100 * result.holdout!.mape).toFixed(2)}%`);
    expect(result.holdout!.periods).toBe(12);
    expect(result.holdout!.mape).toBeLessThan(0.04);
    expect(result.train.rsq).toBeGreaterThan(0.8);
  });
});
