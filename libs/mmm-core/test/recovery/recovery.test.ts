/**
 * Parameter recovery on the core's synthetic generator (known truth), the issue's accuracy bar.
 *
 * Scenario: the generator's defaults: 156 weeks, 8 paid channels (channelPreset 'standard':
 * true ROAS search 3.2, social 2.3, TV 1.6, video 1.1, radio 1.0, display 1.0, OOH 0.9, print
 * 0.8; geometric adstock and Hill saturation per channel; flighted TV, radio, OOH, print,
 * display and video, always-on search and social with campaign pushes, on a shared campaign
 * calendar), a linear trend, yearly seasonality and two controls (promo, price index).
 *
 * Noise level, asserted: the generator's default `noise: 0.03`, an sd of 3% of the 1,000,000
 * baseline: 30,000 a week on a mean KPI of about 1.72 million, i.e. 1.75% of the mean KPI. The
 * fitted model's in-sample R2 is 0.97-0.99 on seeds 1-10 (the true model's 0.96-0.99). That is
 * clean data, not typical data. For comparison, from the ground truth in ../shared:
 * PyMC-Marketing's mmm_example has a noise sd of 4.6% of its mean KPI and a true-model R2 of
 * about 0.95 (1 - var(noise) / var(KPI)); the synthetic peer data of ../shared/peers/robyn has
 * 2.4% (35,000 on 1.46 million), a true-model R2 of about 0.94, and Robyn's best fit on it an
 * adjusted R2 of 0.875. Published MMM fits (Robyn's demo, PyMC-Marketing's examples) are
 * commonly quoted near R2 0.9 (not measured here), which on this generator is about 5% noise.
 * So 1.75% is the low end, and the 15% bar below is a claim about low-noise data. The
 * Cramer-Rao sds below scale with the noise sd.
 *
 * How the bar degrades (seeds 1-10, the same search and rule; docs/BENCHMARKS.md has the table):
 * - noise 1.75% of the mean KPI: bar met on 9/10 seeds, median of the seeds' medians 6.6%;
 * - 2.4% (Robyn peer data's level, R2 0.94-0.98): 9/10, 9.2% (seed 1 at 14.5%, near the bar);
 * - 5% (R2 0.77-0.92): 3/10, 17.6%; top three still in order on 8/10; fails on seeds 1 and 2,
 *   so the 15% bar is NOT asserted there: a looser bar (median under 35%) is, below;
 * - 10% (R2 0.47-0.74): 0/10, 32.9%; top three in order on 2/10.
 * Refitting at the TRUE hyperparameters (only the regression estimated) gives 10/10, 10/10, 7/10
 * and 1/10: at 5% and more the bar is beyond what this regression reaches even with the
 * hyperparameters known (a reference, not a bound: the posterior beats it on some seeds).
 *
 * Why the truth is recoverable at this noise (Cramer-Rao bounds at the truth, from the Fisher
 * information of the full model with every channel's coefficient, theta, alpha and gamma
 * estimated, seeds 1-10; scripts/recovery-bounds.js, docs/BENCHMARKS.md):
 * - every channel's average weekly effect is at least 0.93 noise sds (print, 35,000 x 0.8 =
 *   28,000 a week; about twice that in its active weeks); TV and search are 4.8 and 5.9;
 * - the ROAS sd is 7-10% (TV), 9-26% (search), 10-20% (social), 13-21% (video, display),
 *   15-25% (radio, OOH) and 19-32% (print): median over channels 16-19%, so the expected median
 *   |error| of an efficient estimator is about 0.67 x 17% = 11%, under the 15% bar;
 * - the top three are apart by 1.0-2.1 sds (search - social), 1.4-2.6 (social - TV) and
 *   1.9-2.7 (TV - video, the fourth).
 * The earlier default set (channelPreset 'hard': print 6,000 x 0.5, an always-on display line
 * of 16,000 x 0.9) has ROAS sds of 183-287% (print) and 208-742% (display): there the top three
 * are luck, so it is reported in docs/BENCHMARKS.md as a figure and not asserted here.
 *
 * Model choice: the default, 'posterior' (src/search/posterior.ts), after a 5,000 x 2 search.
 * Asserted per seed on seeds 1, 2 and 3, at 1.75% noise: median |ROAS error| over the 8 channels
 * under 15% and the top three channels by ROAS in the right order; at 5% noise: median |ROAS
 * error| under 35% (measured 21.5%, 28.8%, 8.0%; order not asserted, the top three are 0.35-0.95
 * Cramer-Rao sds apart there). Over seeds 1-10 the 1.75% bar is met on 9 (seed 8 misses it:
 * video, true 1.1, fitted 1.47, level with TV) and the 5% one on 9 (seed 8: 41.8%).
 * `node libs/mmm-core/scripts/recovery-seeds.js posterior 1-10 '{"noise":0.086}'` reproduces the
 * medians and orders at any level; the true-hyperparameter and holdout columns of
 * docs/BENCHMARKS.md come from a scratch refit (buildFittedModel at the generator's theta, alpha
 * and gamma, lambda_hp 0).
 */
import { generateSyntheticDataset } from '../../src/synthetic';
import { fitMediaMix, type FitMediaMixResult } from '../../src/outputs';
import type { LiftTest } from '../../src/search';
import { Mulberry32 } from '../../src/synthetic/prng';

const SEEDS = [1, 2, 3];
/** sd 30,000 a week: 1.75% of the mean KPI (the asserted 15% bar). */
const NOISE = 0.03;
/** sd 86,000 a week: 5.0% of the mean KPI, in-sample R2 0.77-0.92 (the looser 35% bar). */
const NOISE_5_PERCENT = 0.086;

function tableOf(seed: number, noise: number, channelPreset: 'standard' | 'hard' = 'standard') {
  const ds = generateSyntheticDataset({ seed, periods: 156, channels: 8, noise, channelPreset });
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

describe('parameter recovery on synthetic data (156 weeks, 8 channels, noise sd 1.75% of the mean KPI)', () => {
  test('the scenario is the one the header describes: noise 1.75% of the mean KPI, every channel above 0.9 noise sds a week', () => {
    for (const seed of SEEDS) {
      const { ds } = tableOf(seed, NOISE);
      const kpi = ds.columns[ds.kpiColumn];
      const meanKpi = kpi.reduce((a, b) => a + b, 0) / kpi.length;
      expect(ds.truth.noiseSd).toBe(30_000);
      expect(ds.truth.noiseSd / meanKpi).toBeGreaterThan(0.015);
      expect(ds.truth.noiseSd / meanKpi).toBeLessThan(0.02);
      for (const c of ds.truth.channels) {
        expect(c.totalContribution / kpi.length / ds.truth.noiseSd).toBeGreaterThan(0.9);
      }
    }
  });

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
        `seed ${seed} (noise sd ${ds.truth.noiseSd}, 1.75% of the mean KPI): median |ROAS error| ${(100 * median(errors)).toFixed(1)}%; top three ` +
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

  test.each(SEEDS)('seed %i: median |ROAS error| under 15%% and the top three in order', (seed) => {
    const { result, truth } = results.get(seed)!;
    const fitted = result.channels.map((c) => ({ name: c.name, roas: c.roas ?? 0 }));
    expect(median(roasErrors(result, truth))).toBeLessThan(0.15);
    expect(topThree(fitted)).toEqual(topThree(truth));
  });
});

describe('parameter recovery at noise sd 5% of the mean KPI (in-sample R2 about 0.9)', () => {
  // The 15% bar does not hold here (3/10 seeds; even the true hyperparameters give 7/10): this
  // checks that recovery degrades gracefully, not that it stays accurate.
  test.each(SEEDS)('seed %i: median |ROAS error| under 35%%', async (seed) => {
    const { ds, table } = tableOf(seed, NOISE_5_PERCENT);
    const kpi = ds.columns[ds.kpiColumn];
    const meanKpi = kpi.reduce((a, b) => a + b, 0) / kpi.length;
    expect(ds.truth.noiseSd / meanKpi).toBeGreaterThan(0.045);
    expect(ds.truth.noiseSd / meanKpi).toBeLessThan(0.055);
    const result = await fitMediaMix(table, { iterations: 5000, trials: 2, seed: 1 });
    const truth = ds.truth.channels.map((c) => ({ name: c.name, roas: c.roas }));
    const m = median(roasErrors(result, truth));
    console.log(
      `seed ${seed} (noise sd ${ds.truth.noiseSd}, 5% of the mean KPI): median |ROAS error| ` +
        `${(100 * m).toFixed(1)}%, in-sample R2 ${result.train.rsq.toFixed(3)}`,
    );
    expect(m).toBeLessThan(0.35);
  });
});

describe('calibration with a lift test (MAPE.LIFT)', () => {
  it('pins down a small always-on channel that the fit alone cannot identify, from noisy lift tests', async () => {
    // The 'hard' set: always-on display at 16,000 x 0.9, Cramer-Rao ROAS sd 200-750%; without
    // lift tests the best-fit rule puts it at 2.61 (+190%).
    const { ds, table } = tableOf(1, NOISE, 'hard');
    const display = ds.truth.channels.find((c) => c.name === 'display')!;
    // A lift study measures the lift with error: each measured lift is the true incremental
    // KPI over the test's weeks times (1 + 0.1 z), z standard normal (seed 1): a 10% relative
    // sd, the precision of a well-powered geo or conversion-lift test (many are wider).
    const measurementNoise = new Mulberry32(1);
    const liftTests: LiftTest[] = [
      [40, 47],
      [100, 107],
    ].map(([start, end]) => ({
      channel: 'display',
      start,
      end,
      lift:
        display.contribution.slice(start, end + 1).reduce((a, b) => a + b, 0) *
        (1 + 0.1 * measurementNoise.normal()),
    }));
    // With lift tests the default choice is 'best-fit' on NRMSE and MAPE.LIFT.
    const options = { iterations: 5000, trials: 2, seed: 1 };
    const calibrated = await fitMediaMix(table, { ...options, liftTests });
    expect(calibrated.search.objectiveNames).toEqual(['nrmse', 'decompRssd', 'mapeLift']);
    const roas = calibrated.channels.find((c) => c.name === 'display')!.roas!;
    console.log(`display ROAS with noisy lift tests ${roas.toFixed(2)}, true ${display.roas}`);
    // 25%: measured errors of -18% to +7% over measurement-noise seeds 1-6 (+10% and +11% on
    // the two lifts with seed 1); uncalibrated, +190%.
    expect(Math.abs(roas / display.roas - 1)).toBeLessThan(0.25);
  });
});

describe('holdout accuracy on synthetic data (noise sd 1.75% of the mean KPI)', () => {
  /*
   * Threshold 3%. With Gaussian noise of sd s even the true model has an expected absolute
   * percentage error of sqrt(2/pi) s / mean(y) ~ 0.8 x 30,000 / 1.8M ~ 1.3% over the last 12
   * weeks (0.6-1.7% on seeds 1-10 with this draw of the noise). Measured with this rule and
   * budget, seeds 1-10: 0.87-2.07%. A model that leaves out one channel is above it: without TV
   * 4.4%, 6.5%, 9.5% and without video 3.0%, 5.6%, 2.1% (seeds 1-3); without print, the
   * smallest, 1.6-2.5%, which a holdout of 12 weeks cannot tell from noise. The threshold is
   * tied to this noise level: at 5% of the mean KPI the noise alone scores 1.7-4.9% and the fits
   * 2.8-6.3% (the refit at the true hyperparameters 1.6-6.2%), docs/BENCHMARKS.md.
   */
  it.each(SEEDS)('forecasts the last 12 weeks with MAPE under 3%% (seed %i)', async (seed) => {
    const { table } = tableOf(seed, NOISE);
    const result = await fitMediaMix(table, { iterations: 2000, trials: 2, seed: 1, holdout: 12 });
    console.log(`seed ${seed}: holdout MAPE ${(100 * result.holdout!.mape).toFixed(2)}%`);
    expect(result.holdout!.periods).toBe(12);
    expect(result.holdout!.mape).toBeLessThan(0.03);
    expect(result.train.rsq).toBeGreaterThan(0.9);
  });
});
