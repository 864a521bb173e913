/**
 * Tables for the speed benchmark. Timing needs realistic shapes, not a known truth, so this
 * is a small self-contained generator: weekly spend with flights and noise, a trend, yearly
 * seasonality, two controls, a KPI with adstock and Hill responses.
 */
import { SeededRandom, type CandidateContextInput } from '@mmm/core';

export function benchTable(weeks: number, channels: number, seed = 7): CandidateContextInput {
  const random = new SeededRandom(seed, weeks * 1000 + channels);
  const kpi = new Float64Array(weeks);
  const trend = new Float64Array(weeks);
  const season = new Float64Array(weeks);
  const promo = new Float64Array(weeks);
  const price = new Float64Array(weeks);
  for (let t = 0; t < weeks; t++) {
    trend[t] = t / weeks;
    season[t] = Math.sin((2 * Math.PI * t) / 52.18);
    promo[t] = random.next() < 0.2 ? 1 : 0;
    price[t] = 1 + 0.03 * random.normal();
    kpi[t] = 1e6 + 2e5 * trend[t] + 9e4 * season[t] + 7e4 * promo[t] - 6e5 * (price[t] - 1);
  }
  const spend: Float64Array[] = [];
  for (let c = 0; c < channels; c++) {
    const s = new Float64Array(weeks);
    const level = 1e4 * (1 + random.next() * 9);
    const flighted = c % 3 === 0;
    const theta = 0.1 + 0.6 * random.next();
    let carry = 0;
    let max = 0;
    const ad = new Float64Array(weeks);
    for (let t = 0; t < weeks; t++) {
      s[t] = flighted && t % 10 >= 6 ? 0 : level * Math.exp(0.25 * random.normal());
      carry = s[t] + theta * carry;
      ad[t] = carry;
      max = Math.max(max, carry);
    }
    const beta = level * (1 + 2 * random.next());
    for (let t = 0; t < weeks; t++) kpi[t] += beta / (1 + Math.pow((0.5 * max) / ad[t], 1.5));
    spend.push(s);
  }
  for (let t = 0; t < weeks; t++) kpi[t] += 3e4 * random.normal();
  return {
    kpi,
    baseline: [
      { name: 'trend', values: trend, lower: 0 },
      { name: 'season', values: season },
      { name: 'promo', values: promo },
      { name: 'price_index', values: price },
    ],
    channels: spend.map((values, c) => ({ name: `channel_${c + 1}`, values })),
  };
}
