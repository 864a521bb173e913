/**
 * A small deterministic media mix table for the outputs and model tests: 104 weeks, three
 * paid channels with geometric adstock and Hill saturation, a trend and one control, and
 * noise of 2% of the mean KPI. The true hyperparameters are returned as a candidate vector.
 */
import type { CandidateContextInput } from '../../src/candidate';
import { SeededRandom } from '../../src/search/random';

export const FIXTURE_CHANNELS = ['tv', 'search', 'social'] as const;

export function smallMediaMix(
  seed = 1,
  rows = 104,
): {
  input: CandidateContextInput;
  truth: Float64Array;
} {
  const random = new SeededRandom(seed);
  const theta = [0.5, 0.1, 0.3];
  const alpha = [2, 1.2, 1.5];
  const gamma = [0.5, 0.6, 0.4];
  const beta = [300, 500, 200];
  const level = [100, 60, 40];
  const kpi = new Float64Array(rows);
  const trend = new Float64Array(rows);
  const control = new Float64Array(rows);
  const spend = FIXTURE_CHANNELS.map(() => new Float64Array(rows));
  for (let t = 0; t < rows; t++) {
    trend[t] = t / rows;
    control[t] = random.next() < 0.2 ? 1 : 0;
    spend.forEach((s, c) => {
      s[t] = c === 0 && t % 8 >= 5 ? 0 : level[c] * Math.exp(0.3 * random.normal());
    });
  }
  for (let t = 0; t < rows; t++) kpi[t] = 1000 + 200 * trend[t] + 80 * control[t];
  spend.forEach((s, c) => {
    const ad = new Float64Array(rows);
    let prev = 0;
    let max = 0;
    for (let t = 0; t < rows; t++) {
      prev = s[t] + theta[c] * prev;
      ad[t] = prev;
      max = Math.max(max, prev);
    }
    const inflexion = gamma[c] * max;
    for (let t = 0; t < rows; t++) {
      kpi[t] += beta[c] / (1 + Math.pow(inflexion / ad[t], alpha[c]));
    }
  });
  let mean = 0;
  for (let t = 0; t < rows; t++) mean += kpi[t] / rows;
  for (let t = 0; t < rows; t++) kpi[t] += 0.02 * mean * random.normal();
  const truth = new Float64Array(FIXTURE_CHANNELS.length * 3 + 1);
  FIXTURE_CHANNELS.forEach((_, c) => {
    truth[c * 3] = theta[c];
    truth[c * 3 + 1] = alpha[c];
    truth[c * 3 + 2] = gamma[c];
  });
  truth[truth.length - 1] = 0;
  return {
    input: {
      kpi,
      baseline: [
        { name: 'trend', values: trend },
        { name: 'promo', values: control },
      ],
      channels: FIXTURE_CHANNELS.map((name, c) => ({ name, values: spend[c] })),
    },
    truth,
  };
}
