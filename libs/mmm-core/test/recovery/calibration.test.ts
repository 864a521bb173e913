/**
 * Calibration of the fit's 90% intervals on the synthetic generator (known truth): the share of
 * channels whose ROAS interval holds the true ROAS, over seeds 1-3 x 8 channels at 1.75% and
 * 5% noise (generator noise 0.03 and 0.086), with the default fit (2,000 x 5, posterior
 * choice, 200 model draws). docs/BENCHMARKS.md has the same figure over 10 seeds and both
 * channel presets (libs/mmm-core/scripts/calibration.js).
 *
 * Measured on these 48 intervals: 41 hold the truth (85%); the same draws at the chosen
 * hyperparameters only (the conditional intervals of the earlier bootstrap) hold it for 25
 * (52%). The band asserted, 75-98%, is the nominal 90% give or take what 48 intervals
 * correlated within a seed allow; conditional intervals fall below it (asserted too).
 */
import { planMediaMixFit, fitMediaMix, drawModelUncertainty } from '../../src/outputs';
import { generateSyntheticDataset } from '../../src/synthetic';

const SEEDS = [1, 2, 3];
const NOISES = [0.03, 0.086];
const BAND = { lower: 0.75, upper: 0.98 };

function tableOf(seed: number, noise: number) {
  const ds = generateSyntheticDataset({ seed, periods: 156, channels: 8, noise });
  return {
    truth: ds.truth.channels,
    table: {
      dates: ds.dates,
      kpi: ds.columns[ds.kpiColumn],
      controls: ds.controlColumns.map((name) => ({ name, values: ds.columns[name] })),
      paid: ds.truth.channels.map((c) => ({ name: c.name, values: ds.columns[c.spendColumn] })),
    },
  };
}

describe('calibration of the 90% intervals', () => {
  const tally = { intervals: 0, combined: 0, conditional: 0 };

  beforeAll(async () => {
    for (const noise of NOISES) {
      for (const seed of SEEDS) {
        const { truth, table } = tableOf(seed, noise);
        const result = await fitMediaMix(table, { seed: 1 });
        const combined = result.model.uncertainty!.combined!;
        const conditional = drawModelUncertainty(
          planMediaMixFit(table).input,
          result.model,
          result.search.chosenParameters,
          { draws: 200, seed: 1 },
        )!.combined!;
        const holds = (i: { lower: number; upper: number } | null, roas: number) =>
          i !== null && i.lower <= roas && roas <= i.upper;
        for (const t of truth) {
          tally.intervals++;
          if (holds(combined.channels.find((c) => c.name === t.name)!.roas, t.roas)) {
            tally.combined++;
          }
          if (holds(conditional.channels.find((c) => c.name === t.name)!.roas, t.roas)) {
            tally.conditional++;
          }
        }
      }
    }
  }, 300_000);

  it('holds the true ROAS for about nine channels in ten', () => {
    expect(tally.intervals).toBe(48);
    const coverage = tally.combined / tally.intervals;
    expect(coverage).toBeGreaterThanOrEqual(BAND.lower);
    expect(coverage).toBeLessThanOrEqual(BAND.upper);
  });

  it('would fail with intervals conditional on the chosen hyperparameters', () => {
    expect(tally.conditional / tally.intervals).toBeLessThan(BAND.lower);
  });
});
